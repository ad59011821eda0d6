"""Strict loaders of the released CLIFF and HMR 2.0 checkpoints into ``ParametricMesh``.

Key names and layouts come from the projects' model code (nothing of theirs is
imported or copied):

- CLIFF (huawei-noah/noah-research ``CLIFF/models/cliff_res50/cliff.py``,
  ``cliff_hr48/cliff.py``, ``CLIFF/demo.py``): ``torch.load(ckpt)['model']``,
  optionally ``module.``-prefixed; ``encoder.*`` is the backbone (torchvision
  ResNet-50 names, or the official classification HRNet's names, which timm's
  ``hrnet_w48`` keeps), ``fc1``/``fc2``/``decpose``/``decshape``/``deccam`` and
  the ``init_pose``/``init_shape``/``init_cam`` buffers are the regressor.
- HMR 2.0 (shubham-goel/4D-Humans ``hmr2/models/hmr2.py``,
  ``hmr2/models/backbones/vit.py``, ``hmr2/models/heads/smpl_head.py``): a
  Lightning checkpoint whose ``state_dict`` holds ``backbone.*`` (ViTPose-H:
  ``patch_embed.proj``, ``pos_embed`` (1, 1 + N, C) used as ``pos_embed[:, 1:] +
  pos_embed[:, :1]``, ``blocks.i.{norm1,attn.qkv,attn.proj,norm2,mlp.fc1,mlp.fc2}``,
  ``last_norm``), ``smpl_head.*`` (our :class:`HMR2TransformerHead`'s names),
  ``discriminator.*`` and ``smpl.*``.

Every checkpoint key is mapped, or dropped with a stated reason; every model
key is loaded, or belongs to a part the release does not have (the
discriminator), which keeps its initial weights and is reported; anything
else is a ``CheckpointMismatchError`` listing the keys.
"""
from typing import Dict, List, Mapping, NamedTuple, Tuple

import torch
import torch.nn as nn
from mmengine.model import is_model_wrapper

from mesh_recovery.engine.checkpoint import CheckpointMismatchError, read_checkpoint

FORMATS = ('cliff', 'hmr2')
# Parts of our model that the releases do not carry (CLIFF has no discriminator; HMR 2.0's has another layout).
_FRESH_PARTS = ('discriminator.', )


class ReleasedLoadReport(NamedTuple):
    """What a released checkpoint gave the model.

    Attributes:
        loaded: Number of model tensors loaded.
        dropped: ``{reason: [checkpoint keys]}`` for the keys not used.
        fresh: Model keys that keep their initial values (parts the release lacks).
    """
    loaded: int
    dropped: Dict[str, List[str]]
    fresh: List[str]

    def summary(self, filename: str) -> str:
        """One log line."""
        drops = '; '.join(f'{len(keys)} {reason}' for reason, keys in self.dropped.items())
        return (f'{filename}: {self.loaded} tensors loaded; dropped: {drops or "none"}; '
                f'{len(self.fresh)} kept initial (parts the release lacks)')


def _strip(state: Mapping[str, torch.Tensor], prefix: str) -> Dict[str, torch.Tensor]:
    return {(k[len(prefix):] if k.startswith(prefix) else k): v for k, v in state.items()}


def convert_cliff_state_dict(state: Mapping[str, torch.Tensor], backbone_prefix: str) -> Tuple[dict, dict]:
    """Map CLIFF's keys to ours.

    Args:
        state: CLIFF's ``model`` state dict.
        backbone_prefix: Our backbone's key prefix: ``'backbone.'`` for
            :class:`ResNet`, ``'backbone.model.'`` for :class:`TimmBackbone`.

    Returns:
        ``(converted state dict, {reason: dropped keys})``.
    """
    converted, dropped = {}, {}
    for key, value in _strip(state, 'module.').items():
        if key.startswith('encoder.'):
            name = key[len('encoder.'):]
            if name.startswith(('classifier.', 'fc.')):
                dropped.setdefault('ImageNet classifier weights (unused by CLIFF)', []).append(key)
                continue
            converted[backbone_prefix + name] = value
        else:
            converted['mesh_head.' + key] = value
    return converted, dropped


def convert_hmr2_state_dict(state: Mapping[str, torch.Tensor]) -> Tuple[dict, dict]:
    """Map HMR 2.0's keys to ours (a :class:`TimmBackbone` ViT and :class:`HMR2TransformerHead`).

    Returns:
        ``(converted state dict, {reason: dropped keys})``.
    """
    converted, dropped = {}, {}
    for key, value in _strip(state, 'module.').items():
        if key.startswith('smpl.'):
            dropped.setdefault('SMPL buffers (the body model is read from disk)', []).append(key)
        elif key.startswith('discriminator.'):
            dropped.setdefault("HMR 2.0's discriminator (another layout; ours starts fresh)", []).append(key)
        elif key.startswith('smpl_head.'):
            converted['mesh_head.' + key[len('smpl_head.'):]] = value
        elif key == 'backbone.pos_embed':
            # ViTPose adds the (unused) class position to every patch position.
            converted['backbone.model.pos_embed'] = value[:, 1:] + value[:, :1]
        elif key.startswith('backbone.last_norm.'):
            converted['backbone.model.norm.' + key[len('backbone.last_norm.'):]] = value
        elif key.startswith('backbone.'):
            converted['backbone.model.' + key[len('backbone.'):]] = value
        else:
            converted[key] = value  # reported as unexpected below
    return converted, dropped


def _backbone_prefix(model: nn.Module) -> str:
    return 'backbone.model.' if type(model.backbone).__name__ == 'TimmBackbone' else 'backbone.'


def _state_of(checkpoint: dict, fmt: str, filename: str) -> Mapping[str, torch.Tensor]:
    key = 'model' if fmt == 'cliff' else 'state_dict'
    state = checkpoint.get(key, checkpoint)
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointMismatchError(f'{filename}: expected a {fmt} checkpoint with tensors under "{key}", got '
                                      f'keys {sorted(checkpoint)[:10]}')
    return state


def load_released_checkpoint(model: nn.Module, filename: str, fmt: str) -> ReleasedLoadReport:
    """Load a released CLIFF (``fmt='cliff'``) or HMR 2.0 (``fmt='hmr2'``) checkpoint strictly.

    Args:
        model: A ``ParametricMesh`` built from the matching config
            (``configs/mesh/cliff/*``, ``configs/mesh/hmr2/*``).
        filename: The released file (CLIFF's ``.pt``; HMR 2.0's
            ``epoch=35-step=1000000.ckpt``, or its ``state_dict`` saved alone if
            the Lightning file holds objects weights-only loading refuses).
        fmt: ``'cliff'`` or ``'hmr2'``.

    Returns:
        A :class:`ReleasedLoadReport`.

    Raises:
        ValueError: Unknown ``fmt``.
        CheckpointMismatchError: Keys missing, unexpected, or of other shapes, listed.
    """
    if fmt not in FORMATS:
        raise ValueError(f'load_released_checkpoint: fmt must be one of {FORMATS}, got {fmt!r}')
    module = model.module if is_model_wrapper(model) else model
    state = _state_of(read_checkpoint(filename), fmt, filename)
    if fmt == 'cliff':
        converted, dropped = convert_cliff_state_dict(state, _backbone_prefix(module))
    else:
        converted, dropped = convert_hmr2_state_dict(state)
    expected = module.state_dict()
    missing = sorted(k for k in set(expected) - set(converted) if not k.startswith(_FRESH_PARTS))
    unexpected = sorted(set(converted) - set(expected))
    shapes = sorted(f'{k}: {tuple(converted[k].shape)} vs model {tuple(expected[k].shape)}'
                    for k in set(expected) & set(converted) if converted[k].shape != expected[k].shape)
    if missing or unexpected or shapes:
        raise CheckpointMismatchError(
            f'{filename} ({fmt}) does not fit {type(module).__name__}: missing {missing[:10]} ({len(missing)}), '
            f'unexpected {unexpected[:10]} ({len(unexpected)}), shapes {shapes[:5]}; build the model from the '
            f'matching config (configs/mesh/{fmt}/)')
    module.load_state_dict(converted, strict=False)
    fresh = sorted(set(expected) - set(converted))
    return ReleasedLoadReport(len(converted), dropped, fresh)
