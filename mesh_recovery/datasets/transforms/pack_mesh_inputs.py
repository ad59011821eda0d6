"""Packing a transformed sample into the model's batch format (docs/data_contract.md)."""
from typing import Dict

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from mesh_recovery.registry import TRANSFORMS

# results key -> (data_samples key, dtype, shape): the annotation, then the box every sample has.
_GT_FIELDS = (
    ('keypoints_2d', 'gt_keypoints_2d', torch.float32, (24, 3)),
    ('keypoints_3d', 'gt_keypoints_3d', torch.float32, (24, 4)),
    ('pose', 'gt_pose', torch.float32, (72, )),
    ('betas', 'gt_betas', torch.float32, (10, )),
    ('has_smpl', 'has_smpl', torch.float32, ()),
    ('gender', 'gender', torch.int64, ()),
)
_BOX_FIELDS = (
    ('center', 'center', torch.float32, (2, )),
    ('scale', 'scale', torch.float32, ()),
    ('sample_idx', 'sample_idx', torch.int64, ()),
)


_NUMPY_DTYPES = {torch.float32: np.float32, torch.int64: np.int64}


def _as_tensor(value, dtype: torch.dtype) -> torch.Tensor:
    """``value`` as a ``dtype`` tensor; an array of that dtype is wrapped without a copy.

    ``torch.from_numpy`` takes ~1.6 us where ``torch.as_tensor(np.asarray(...))`` takes
    5-7 us, nine times per sample (same result: both share the array's memory).
    """
    if isinstance(value, np.ndarray) and value.dtype == _NUMPY_DTYPES[dtype] and value.flags.writeable:
        return torch.from_numpy(value)
    return torch.as_tensor(np.asarray(value), dtype=dtype)


@TRANSFORMS.register_module()
class PackMeshInputs(BaseTransform):
    """Pack a sample as ``{'inputs': (3, H, W) uint8 BGR tensor, 'data_samples': dict of tensors}``.

    mmengine's ``default_collate`` stacks a list of these into a batch and the
    ``ImgDataPreprocessor`` (ImageNet mean/std, ``bgr_to_rgb=True``) normalises
    the images on the model's device; keeping uint8 until then moves 4x fewer
    bytes between DataLoader workers and the trainer. The ``data_samples``
    keys are those of docs/data_contract.md: ``gt_keypoints_2d`` (24, 3),
    ``gt_keypoints_3d`` (24, 4), ``gt_pose`` (72,), ``gt_betas`` (10,),
    ``has_smpl`` (), ``gender`` () int64, ``center`` (2,), ``scale`` (),
    ``sample_idx`` () int64, and for CLIFF's full-image camera ``ori_shape``
    (2,) = (H, W) px of the source image and ``focal_length`` () px: the
    annotation's where known (> 0), else CLIFF's estimate ``sqrt(W^2 + H^2)``.

    Required keys: ``img`` (H, W, 3) uint8 and the source keys of the fields
    above (``keypoints_2d``, ``keypoints_3d``, ``pose``, ``betas``,
    ``has_smpl``, ``gender``, ``center``, ``scale``, ``sample_idx``) and
    ``ori_shape`` (set by ``LoadImageFromFile``); optional ``focal_length`` ().
    Added keys: ``inputs``, ``data_samples`` (the result holds only these).

    Args:
        with_gt: Pack the annotation fields (training and evaluation). False
            for inference on images without annotations: only the box fields
            and the camera are required and packed, so no ground truth has to
            be invented.
    """

    def __init__(self, with_gt: bool = True) -> None:
        self.with_gt = bool(with_gt)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(with_gt={self.with_gt})'

    def transform(self, results: dict) -> Dict[str, object]:
        if 'img_pending_affine' in results:
            raise ValueError(
                f'{type(self).__name__}: the sample still has img_pending_affine (a flip recorded for the crop '
                f'to apply) for {results.get("img_path")}; put MeshAffine after MeshRandomFlip in the pipeline')
        img = results['img']
        if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
            raise ValueError(f'{type(self).__name__} expects a (H, W, 3) uint8 image, got '
                             f'{img.shape} {img.dtype} for {results.get("img_path")}')
        # A (3, H, W) view: the batch stack in default_collate makes the one copy needed.
        inputs = torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)
        fields = (_GT_FIELDS if self.with_gt else ()) + _BOX_FIELDS
        missing = [src for src, *_ in fields if src not in results]
        if missing:
            raise KeyError(f'{type(self).__name__} needs {missing}; the sample has {sorted(results)}')
        data_samples = {}
        for src, dst, dtype, shape in fields:
            value = _as_tensor(results[src], dtype)
            if tuple(value.shape) != shape:
                raise ValueError(f'{src!r} must have shape {shape}, got {tuple(value.shape)} '
                                 f'({results.get("img_path")})')
            data_samples[dst] = value
        data_samples.update(self._full_image_camera(results))
        return {'inputs': inputs, 'data_samples': data_samples}

    def _full_image_camera(self, results: dict) -> Dict[str, torch.Tensor]:
        if 'ori_shape' not in results:
            raise KeyError(f'{type(self).__name__} needs "ori_shape" (the source image\'s (H, W), set by '
                           f'LoadImageFromFile) for {results.get("img_path")}; the sample has {sorted(results)}')
        height, width = (float(v) for v in results['ori_shape'][:2])
        focal = float(results.get('focal_length', 0.0))
        if not focal > 0:
            # CLIFF's estimate for an unknown camera (a field of view of about 55 degrees).
            focal = (width * width + height * height) ** 0.5
        return {'ori_shape': torch.from_numpy(np.array([height, width], dtype=np.float32)),
                'focal_length': torch.from_numpy(np.array(focal, dtype=np.float32))}
