"""Load mmpose 0.x HMR checkpoints (and our own) into ``ParametricMesh``, strictly and safely.

mmpose 0.x checkpoints (mmcv format ``{'meta', 'state_dict'}``) carry, besides the
weights we keep (``backbone.``, ``mesh_head.``, ``discriminator.``):

- duplicates of the backbone and head under ``generator.0.`` / ``generator.1.``
  (an ``nn.Sequential`` alias in mmpose's model);
- the SMPL layer's buffers under ``smpl.`` and a top-level ``joints_regressor``
  (our SMPL reloads its files from disk; checkpoints do not carry them).

The duplicates are checked against their canonical copies (or stand in for a
missing one) and dropped with the SMPL buffers; any other difference between the
checkpoint and the model is an error that lists the keys. Files are read with
``torch.load(weights_only=True)``: a checkpoint that would run code is refused.
"""
import fnmatch
import os
import pickle
import re
from typing import Dict, List, Mapping, NamedTuple, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.model import is_model_wrapper

from mesh_recovery.utils.errors import BadFileError, UserError
from mesh_recovery.utils.files import DECODE_ERRORS, decode_error, require_file, short_reason

from .checkpoint_setup import setup_checkpoint_loading

# mmpose alias prefix -> canonical prefix.
MMPOSE_ALIASES: Tuple[Tuple[str, str], ...] = (('generator.0.', 'backbone.'), ('generator.1.', 'mesh_head.'))
# Keys of the SMPL layer that the checkpoint carries and our model reloads from disk.
MMPOSE_DROPPED = re.compile(r'^(smpl\.|joints_regressor$)')


class CheckpointMismatchError(UserError, RuntimeError):
    """The checkpoint's weights do not match the model's (names or shapes)."""


class UnsafeCheckpointError(UserError, pickle.UnpicklingError):
    """The checkpoint holds objects that weights-only loading refuses (they could run code)."""


def _list(keys: List[str], limit: int = 20) -> str:
    shown = ', '.join(keys[:limit])
    return shown + (f', ... ({len(keys)} in all)' if len(keys) > limit else '')


def read_checkpoint(filename: str, map_location: str = 'cpu', check_finite: bool = True) -> dict:
    """Read a checkpoint file with weights-only unpickling, whatever torch's environment says.

    ``weights_only=True`` is passed explicitly, which ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD``
    cannot override (it only changes torch's default).

    Args:
        filename: Path of a ``.pth`` file.
        map_location: Device to map tensors to.
        check_finite: Refuse a checkpoint whose floating-point weights hold NaN or infinity.

    Returns:
        The loaded object (a dict).

    Raises:
        MissingFileError (a FileNotFoundError): If the file does not exist.
        BadFileError (a ValueError): Empty, truncated or not a torch checkpoint;
            not a dict; non-finite weights.
        UnsafeCheckpointError (a pickle.UnpicklingError): If the file holds
            objects outside torch's weights-only allow-list (plus
            ``mesh_recovery.engine``'s narrow additions for mmengine checkpoints).
    """
    filename = os.fspath(filename)
    require_file(filename, 'checkpoint', _CHECKPOINT_HINT)
    try:
        setup_checkpoint_loading()
        checkpoint = torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        if 'Unsupported global' not in str(exc) and 'GLOBAL' not in str(exc):
            raise decode_error(filename, 'checkpoint', 'a torch checkpoint', exc, _CHECKPOINT_HINT) from exc
        raise UnsafeCheckpointError(
            f'refusing to load {filename}: it contains objects that are not plain weights/data '
            f'and could execute code when unpickled ({short_reason(exc)}). Only use checkpoints from sources '
            'you trust; this project never turns weights-only loading off.') from exc
    except DECODE_ERRORS as exc:
        raise decode_error(filename, 'checkpoint', 'a torch checkpoint (torch.save)', exc, _CHECKPOINT_HINT) from exc
    if not isinstance(checkpoint, dict):
        raise BadFileError(f'checkpoint {filename} holds a {type(checkpoint).__name__}, expected a dict of '
                           f'weights (a state_dict or {{"state_dict": ..., "meta": ...}}); {_CHECKPOINT_HINT}')
    if check_finite:
        _check_finite_weights(filename, checkpoint)
    return checkpoint


_CHECKPOINT_HINT = ('use a checkpoint written by tools/train.py (work_dirs/...) or the mmpose model zoo file; '
                    're-download or re-copy it if it was cut short')


def _check_finite_weights(filename: str, checkpoint: dict) -> None:
    state_dict = checkpoint.get('state_dict', checkpoint)
    if not isinstance(state_dict, dict):
        return
    bad = [k for k, v in state_dict.items()
           if isinstance(v, torch.Tensor) and v.is_floating_point() and not torch.isfinite(v).all()]
    if bad:
        raise BadFileError(f'checkpoint {filename} has NaN or infinite values in {len(bad)} weight tensors: '
                           f'{_list(bad, 5)}; the run that wrote it diverged, use an earlier checkpoint')


def convert_mmpose_state_dict(state_dict: Mapping[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """Map an mmpose 0.x HMR state dict onto our key names.

    ``module.`` prefixes (distributed training) are stripped; ``generator.0.`` /
    ``generator.1.`` duplicates must equal their ``backbone.`` / ``mesh_head.``
    copies (or replace them when absent) and are dropped; ``smpl.*`` and
    ``joints_regressor`` are dropped.

    Args:
        state_dict: The checkpoint's ``state_dict``.

    Returns:
        A new state dict with only the keys our model owns.

    Raises:
        CheckpointMismatchError: If a duplicate differs from its canonical copy.
    """
    source = {(k[len('module.'):] if k.startswith('module.') else k): v for k, v in state_dict.items()}
    converted: Dict[str, torch.Tensor] = {}
    aliases: Dict[str, torch.Tensor] = {}
    for key, value in source.items():
        if MMPOSE_DROPPED.match(key):
            continue
        alias = next((canon + key[len(prefix):] for prefix, canon in MMPOSE_ALIASES if key.startswith(prefix)), None)
        if alias is None:
            converted[key] = value
        else:
            aliases[alias] = value
    differing = []
    for key, value in aliases.items():
        if key not in converted:
            converted[key] = value
        elif converted[key].shape != value.shape or not torch.equal(converted[key], value):
            differing.append(key)
    if differing:
        raise CheckpointMismatchError(
            'the generator.0./generator.1. copies in the checkpoint differ from backbone./mesh_head. '
            f'for: {_list(sorted(differing))}; the checkpoint is inconsistent')
    return converted


def check_state_dict(model: nn.Module, state_dict: Mapping[str, torch.Tensor], source: str = 'checkpoint') -> None:
    """Raise if ``state_dict`` does not match ``model`` key for key and shape for shape.

    Args:
        model: The model to load into.
        state_dict: Weights to load.
        source: Name of the weights' origin for the error message.

    Raises:
        CheckpointMismatchError: Listing missing keys, unexpected keys and
            shape mismatches.
    """
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(expected))
    shapes = sorted(f'{k}: {tuple(state_dict[k].shape)} vs model {tuple(expected[k].shape)}'
                    for k in set(expected) & set(state_dict) if state_dict[k].shape != expected[k].shape)
    problems = []
    if missing:
        problems.append(f'missing in {source}: {_list(missing)}')
    if unexpected:
        problems.append(f'unexpected in {source}: {_list(unexpected)}')
    if shapes:
        problems.append(f'shape mismatch: {_list(shapes)}')
    if problems:
        raise CheckpointMismatchError(
            f'{source} does not match {type(model).__name__}: ' + '; '.join(problems)
            + '. Check that the config (backbone depth, head, discriminator) matches the checkpoint.')


def load_checkpoint(model: nn.Module, filename: str, map_location: str = 'cpu') -> dict:
    """Load an mmpose 0.x HMR checkpoint, or one of ours, into ``model`` strictly.

    Args:
        model: A ``ParametricMesh`` (model wrappers are unwrapped).
        filename: Path of the ``.pth`` file.
        map_location: Device to map tensors to before copying them in.

    Returns:
        The checkpoint's ``meta`` dict (empty if it has none).

    Raises:
        FileNotFoundError, pickle.UnpicklingError: See :func:`read_checkpoint`.
        CheckpointMismatchError: If, after dropping the mmpose duplicates and
            SMPL buffers, any key is missing, unexpected or of another shape.
    """
    module = model.module if is_model_wrapper(model) else model
    checkpoint = read_checkpoint(filename, map_location)
    if not isinstance(checkpoint, dict):
        raise CheckpointMismatchError(f'{filename}: expected a dict checkpoint, got {type(checkpoint).__name__}')
    state_dict = checkpoint.get('state_dict', checkpoint)
    state_dict = convert_mmpose_state_dict(state_dict)
    check_state_dict(module, state_dict, source=filename)
    module.load_state_dict(state_dict, strict=True)
    meta = checkpoint.get('meta')
    return dict(meta) if isinstance(meta, dict) else {}


class PretrainedLoadReport(NamedTuple):
    """What :func:`load_pretrained` did with a checkpoint.

    Attributes:
        loaded: Number of model tensors taken from the checkpoint.
        dropped_aliases: mmpose ``generator.0.`` / ``generator.1.`` duplicates dropped.
        dropped_smpl: SMPL buffers (``smpl.*``, ``joints_regressor``) dropped.
        left_initialised: Model keys not loaded, allowed by ``allow_missing``.
        ignored: Checkpoint keys not used, allowed by ``allow_unexpected``.
        extras: The checkpoint's other entries (``meta``, ``rng_state``, ...), for hooks.
    """

    loaded: int
    dropped_aliases: int
    dropped_smpl: int
    left_initialised: List[str]
    ignored: List[str]
    extras: dict

    def summary(self, filename: str) -> str:
        """One log line describing the load."""
        parts = [f'load_from {filename}: loaded {self.loaded} tensors']
        if self.dropped_aliases or self.dropped_smpl:
            parts.append(f'dropped {self.dropped_aliases} mmpose duplicates (generator.0./generator.1.) and '
                         f'{self.dropped_smpl} SMPL buffers (reloaded from the body model files)')
        if self.left_initialised:
            parts.append(f'left initialised as allowed by load_from_cfg.allow_missing: '
                         f'{_by_module(self.left_initialised)}')
        if self.ignored:
            parts.append(f'ignored as allowed by load_from_cfg.allow_unexpected: {_by_module(self.ignored)}')
        return '; '.join(parts)


def _by_module(keys: Sequence[str]) -> str:
    counts: Dict[str, int] = {}
    for key in keys:
        module = key.split('.', 1)[0]
        counts[module] = counts.get(module, 0) + 1
    return ', '.join(f'{module}.* ({n})' for module, n in sorted(counts.items()))


def _matches(key: str, patterns: Sequence[str]) -> bool:
    # A bare module name ('mesh_head') covers its keys; otherwise fnmatch patterns ('mesh_head.fc*').
    return any(key == p or key.startswith(p.rstrip('.') + '.') or fnmatch.fnmatchcase(key, p) for p in patterns)


def load_pretrained(model: nn.Module, filename: str, allow_missing: Sequence[str] = (),
                    allow_unexpected: Sequence[str] = (), map_location: str = 'cpu') -> PretrainedLoadReport:
    """Load weights for fine-tuning (``load_from``) with the mmpose-aware mapping, checked.

    Unlike mmengine's non-strict ``load_from``, nothing is left random or thrown
    away silently: every model key must be loaded unless it matches
    ``allow_missing`` (e.g. a new head), and every checkpoint key must be used
    unless it matches ``allow_unexpected`` (e.g. a discriminator the new config
    drops). Keys whose shapes differ count as both missing and unexpected.

    Args:
        model: A ``ParametricMesh`` (model wrappers are unwrapped).
        filename: Path of the ``.pth`` file (mmpose 0.x or ours).
        allow_missing: Module names (``'mesh_head'``) or fnmatch patterns of model
            keys that may keep their initial values.
        allow_unexpected: Module names or patterns of checkpoint keys that may go unused.
        map_location: Device to map tensors to.

    Returns:
        A :class:`PretrainedLoadReport` (its ``summary()`` is one log line).

    Raises:
        CheckpointMismatchError: Listing the keys that would stay uninitialised
            or go unused without being allowed, and how to allow them.
    """
    module = model.module if is_model_wrapper(model) else model
    checkpoint = read_checkpoint(filename, map_location)
    if not isinstance(checkpoint, dict):
        raise CheckpointMismatchError(f'{filename}: expected a dict checkpoint, got {type(checkpoint).__name__}')
    source = checkpoint.get('state_dict', checkpoint)
    names = [k[len('module.'):] if k.startswith('module.') else k for k in source]
    dropped_smpl = sum(1 for k in names if MMPOSE_DROPPED.match(k))
    dropped_aliases = sum(1 for k in names if k.startswith(tuple(p for p, _ in MMPOSE_ALIASES)))
    state_dict = convert_mmpose_state_dict(source)
    expected = module.state_dict()
    usable = {k: v for k, v in state_dict.items() if k in expected and v.shape == expected[k].shape}
    missing = sorted(set(expected) - set(usable))
    unexpected = sorted(set(state_dict) - set(usable))
    bad_missing = [k for k in missing if not _matches(k, allow_missing)]
    # A re-shaped tensor of an allowed-missing part (a new head's layer) is necessarily unused.
    bad_unexpected = [k for k in unexpected
                      if not (_matches(k, allow_unexpected) or (k in expected and _matches(k, allow_missing)))]
    if bad_missing or bad_unexpected:
        raise _fit_error(filename, type(module).__name__, bad_missing, bad_unexpected, state_dict, expected)
    module.load_state_dict(usable, strict=False)
    extras = {k: v for k, v in checkpoint.items() if k != 'state_dict'} if 'state_dict' in checkpoint else {}
    return PretrainedLoadReport(len(usable), dropped_aliases, dropped_smpl, missing, unexpected, extras)


def _fit_error(filename: str, model_name: str, bad_missing: List[str], bad_unexpected: List[str],
               state_dict: Mapping[str, torch.Tensor],
               expected: Mapping[str, torch.Tensor]) -> CheckpointMismatchError:
    shapes = [f'{k}: {tuple(state_dict[k].shape)} vs model {tuple(expected[k].shape)}'
              for k in bad_unexpected if k in expected]
    problems = []
    if bad_missing:
        problems.append(f'{len(bad_missing)} model tensors would stay initialised '
                        f'[{_by_module(bad_missing)}]: {_list(bad_missing)}')
    if bad_unexpected:
        problems.append(f'{len(bad_unexpected)} checkpoint tensors would go unused '
                        f'[{_by_module(bad_unexpected)}]: {_list(bad_unexpected)}')
    if shapes:
        problems.append(f'shape mismatch: {_list(shapes)}')
    return CheckpointMismatchError(
        f'load_from={filename} does not fit {model_name}: ' + '; '.join(problems)
        + '. Check that the config (backbone depth, head, discriminator) matches the checkpoint, or say '
        "which parts may differ, e.g. load_from_cfg = dict(allow_missing=['mesh_head'], "
        "allow_unexpected=['discriminator']).")
