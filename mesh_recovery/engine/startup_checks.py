"""Values that must agree across model, loss, pipelines and data, checked before any work starts.

Each check names both places that disagree, so an experiment edited in one
place only (``model.img_res=160`` with 128 px crops) stops at start-up instead
of training with a wrong camera.
"""
from typing import Any, Iterator, List, Optional, Tuple

import torch.nn as nn
from mmengine.model import is_model_wrapper

from mesh_recovery.body_models.model_files import SPIN24_REGRESSOR_HINT
from mesh_recovery.utils.errors import UserError

_LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


class ConfigConsistencyError(UserError, ValueError):
    """Two parts of a config disagree on a value they must share."""


def _find_transforms(node: Any, type_name: str, path: str) -> Iterator[Tuple[str, dict]]:
    """Yield ``(config path, transform dict)`` for every ``type_name`` transform under ``node``."""
    if isinstance(node, dict):
        if node.get('type') == type_name:
            yield path, node
        for key, value in node.items():
            yield from _find_transforms(value, type_name, f'{path}.{key}')
    elif isinstance(node, (list, tuple)):
        for index, value in enumerate(node):
            yield from _find_transforms(value, type_name, f'{path}[{index}]')


def check_crop_resolution(cfg: Any) -> None:
    """``model.img_res`` must equal every ``MeshAffine.img_res`` and ``model.loss_mesh.img_res``.

    Args:
        cfg: The whole config (mmengine ``Config`` or dict).

    Raises:
        ConfigConsistencyError: Naming the model's value and each disagreeing place.
    """
    model = cfg.get('model') or {}
    img_res = model.get('img_res', 224)
    conflicts: List[str] = []
    loss_res = (model.get('loss_mesh') or {}).get('img_res')
    if loss_res is not None and loss_res != img_res:
        conflicts.append(f'model.loss_mesh.img_res={loss_res}')
    for loader in _LOADERS:
        for path, transform in _find_transforms(cfg.get(loader), 'MeshAffine', loader):
            if transform.get('img_res', 224) != img_res:
                conflicts.append(f'{path}.img_res={transform.get("img_res", 224)}')
    if conflicts:
        raise ConfigConsistencyError(
            f'model.img_res={img_res} (the crop side the camera and the 2D losses assume) differs from '
            + ', '.join(conflicts) + '. Set one value in all of them, e.g. a top-level img_res = ... that '
            'the model and every MeshAffine use.')


def _bare(model: Optional[nn.Module]) -> Optional[nn.Module]:
    return model.module if model is not None and is_model_wrapper(model) else model


def check_feature_channels(model: nn.Module) -> None:
    """The head's ``in_channels`` must equal the channels of the backbone's last output.

    Raises:
        ConfigConsistencyError: Naming both values.
    """
    model = _bare(model)
    # MMSeparateDistributedDataParallel wraps each submodule on its own.
    backbone, head = _bare(getattr(model, 'backbone', None)), _bare(getattr(model, 'mesh_head', None))
    channels = getattr(backbone, 'out_channels', None)
    in_channels = getattr(head, 'in_channels', None)
    if not channels or in_channels is None:
        return
    if channels[-1] != in_channels:
        raise ConfigConsistencyError(
            f'model.mesh_head.in_channels={in_channels} but model.backbone ({type(backbone).__name__}'
            f'{"-" + str(backbone.depth) if hasattr(backbone, "depth") else ""}) outputs {channels[-1]} channels; '
            f'set model.mesh_head.in_channels={channels[-1]}.')


def regressor_joints(model: nn.Module) -> Optional[int]:
    """Rows of the body model's joints regressor (the joints the losses and metrics compare), or None."""
    regressor = getattr(_bare(getattr(_bare(model), 'smpl', None)), 'joints_regressor', None)  # (K, V)
    return None if regressor is None else int(regressor.shape[0])


def check_dataset_joints(model: nn.Module, dataset: Any, loader: str) -> None:
    """The annotations' joint count must equal the rows of the model's joints regressor.

    Args:
        model: The estimator.
        dataset: The loader's dataset (its ``metainfo['num_keypoints']`` is read).
        loader: Config name of the loader, for the message.

    Raises:
        ConfigConsistencyError: Naming the regressor file and the dataset.
    """
    num_keypoints = (getattr(dataset, 'metainfo', None) or {}).get('num_keypoints')
    joints = regressor_joints(model)
    if num_keypoints is None or joints is None or num_keypoints == joints:
        return
    smpl = getattr(_bare(model), 'smpl', None)
    regressor = getattr(smpl, 'joints_regressor_path', None) or 'model.smpl.joints_regressor'
    raise ConfigConsistencyError(
        f'{loader}.dataset ({type(dataset).__name__}) has {num_keypoints} keypoints per sample but the joints '
        f'regressor {regressor} gives {joints} joints; use the (num_keypoints, V) regressor of this '
        f'keypoint order (SPIN-24: {SPIN24_REGRESSOR_HINT}).')
