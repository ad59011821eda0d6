"""Build one optimizer wrapper per named part of a model (generator / discriminator).

mmengine 0.10.7 ships no constructor for several optimizers. Configs write::

    optim_wrapper = dict(
        constructor='MultiOptimWrapperConstructor',
        generator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=2.5e-4)),
        discriminator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4)))
    param_scheduler = dict(generator=[...], discriminator=[...])

The model says which submodules each wrapper owns through ``optim_groups()``
(``{'generator': ['backbone', 'mesh_head'], 'discriminator': ['discriminator']}``),
so the split is explicit and no alias modules are needed.
"""
import copy
from collections import OrderedDict
from typing import Dict, List, Optional

import torch.nn as nn
from mmengine.model import is_model_wrapper
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapperDict

from mesh_recovery.registry import OPTIM_WRAPPER_CONSTRUCTORS


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class MultiOptimWrapperConstructor:
    """Build an ``OptimWrapperDict`` from one wrapper config per model part.

    Args:
        optim_wrapper_cfg: Mapping ``{part name: optimizer wrapper config}``. Each
            value is what ``DefaultOptimWrapperConstructor`` accepts (``type``,
            ``optimizer``, optional ``paramwise_cfg``, ``clip_grad``, ...).
        paramwise_cfg: Not supported at this level (it would be ambiguous which
            part it refers to); put ``paramwise_cfg`` inside a part's config.

    The model (or the module inside a model wrapper) must define
    ``optim_groups() -> Dict[str, List[str]]`` naming, per part, the attribute
    names of its submodules. Every trainable parameter must belong to exactly
    one part.
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: Optional[dict] = None) -> None:
        if paramwise_cfg:
            raise ValueError(
                'MultiOptimWrapperConstructor: a top-level paramwise_cfg is ambiguous with several '
                'optimizers; move it into the part it applies to, e.g. '
                'optim_wrapper=dict(generator=dict(..., paramwise_cfg=...), ...)')
        if not isinstance(optim_wrapper_cfg, dict) or not optim_wrapper_cfg:
            raise TypeError(
                f'MultiOptimWrapperConstructor expects a dict {{part name: wrapper config}}, '
                f'got {optim_wrapper_cfg!r}')
        for name, cfg in optim_wrapper_cfg.items():
            if not isinstance(cfg, dict) or 'optimizer' not in cfg:
                raise TypeError(
                    f'optim_wrapper.{name} must be a wrapper config with an "optimizer" entry, '
                    f'e.g. dict(type="OptimWrapper", optimizer=dict(type="Adam", lr=1e-4)); got {cfg!r}')
        self.optim_wrapper_cfg = copy.deepcopy(dict(optim_wrapper_cfg))

    def __call__(self, model: nn.Module) -> OptimWrapperDict:
        """Build the wrappers for ``model``.

        Args:
            model: The model, possibly inside an mmengine model wrapper.

        Returns:
            One ``OptimWrapper`` per part, keyed like the config.
        """
        module = model.module if is_model_wrapper(model) else model
        parts = self._resolve_parts(module)
        wrappers = OrderedDict()
        for name, cfg in self.optim_wrapper_cfg.items():
            cfg = copy.deepcopy(cfg)
            paramwise_cfg = cfg.pop('paramwise_cfg', None)
            # A ModuleDict keyed by attribute names keeps parameter names such as
            # ``backbone.layer1.0.conv1.weight`` for paramwise custom_keys.
            part = nn.ModuleDict(parts[name])
            wrappers[name] = DefaultOptimWrapperConstructor(cfg, paramwise_cfg)(part)
        return OptimWrapperDict(**wrappers)

    def _resolve_parts(self, module: nn.Module) -> Dict[str, Dict[str, nn.Module]]:
        if not callable(getattr(module, 'optim_groups', None)):
            raise TypeError(
                f'{type(module).__name__} has no optim_groups() method, which MultiOptimWrapperConstructor '
                'needs to know which submodules each optimizer owns; use a single optim_wrapper='
                'dict(optimizer=...) for this model')
        groups: Dict[str, List[str]] = module.optim_groups()
        if set(groups) != set(self.optim_wrapper_cfg):
            raise KeyError(
                f'optim_wrapper parts {sorted(self.optim_wrapper_cfg)} do not match the parts of '
                f'{type(module).__name__}: {sorted(groups)} (a model without a discriminator trains '
                'with a single optim_wrapper=dict(optimizer=...))')
        parts: Dict[str, Dict[str, nn.Module]] = {}
        owner: Dict[int, str] = {}
        for name, attrs in groups.items():
            parts[name] = {}
            for attr in attrs:
                sub = getattr(module, attr, None)
                if not isinstance(sub, nn.Module):
                    raise AttributeError(
                        f'optim_groups() of {type(module).__name__} names "{attr}" for part "{name}", '
                        'which is not a submodule')
                parts[name][attr] = sub
                for param in sub.parameters():
                    if id(param) in owner:
                        raise ValueError(
                            f'a parameter of "{attr}" belongs to both parts "{owner[id(param)]}" and "{name}"')
                    owner[id(param)] = name
        orphans = [n for n, p in module.named_parameters() if p.requires_grad and id(p) not in owner]
        if orphans:
            raise ValueError(
                f'trainable parameters outside every optimizer part of {type(module).__name__}: '
                f'{orphans[:10]}{" ..." if len(orphans) > 10 else ""}; add their submodule to optim_groups()')
        return parts
