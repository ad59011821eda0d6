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
import os
import os.path as osp
import pickle
import re
from typing import Dict, List, Mapping, Tuple

import torch
import torch.nn as nn
from mmengine.model import is_model_wrapper

# mmpose alias prefix -> canonical prefix.
MMPOSE_ALIASES: Tuple[Tuple[str, str], ...] = (('generator.0.', 'backbone.'), ('generator.1.', 'mesh_head.'))
# Keys of the SMPL layer that the checkpoint carries and our model reloads from disk.
MMPOSE_DROPPED = re.compile(r'^(smpl\.|joints_regressor$)')


class CheckpointMismatchError(RuntimeError):
    """The checkpoint's weights do not match the model's (names or shapes)."""


def _list(keys: List[str], limit: int = 20) -> str:
    shown = ', '.join(keys[:limit])
    return shown + (f', ... ({len(keys)} in all)' if len(keys) > limit else '')


def read_checkpoint(filename: str, map_location: str = 'cpu') -> dict:
    """Read a checkpoint file with weights-only unpickling.

    Args:
        filename: Path of a ``.pth`` file.
        map_location: Device to map tensors to.

    Returns:
        The loaded object (a dict).

    Raises:
        FileNotFoundError: If the file does not exist.
        pickle.UnpicklingError: If the file holds objects outside torch's
            weights-only allow-list (plus ``mesh_recovery.engine``'s narrow
            additions for mmengine checkpoints).
    """
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint not found: {filename} (cwd {os.getcwd()})')
    try:
        return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        raise pickle.UnpicklingError(
            f'refusing to load {filename}: it contains objects that are not plain weights/data '
            f'and could execute code when unpickled. Details: {exc}') from exc


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
