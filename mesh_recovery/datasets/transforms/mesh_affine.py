"""The affine crop of mmpose 0.x mesh recovery."""
import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from mesh_recovery.geometry.transforms import (affine_transform_points, get_affine_transform,
                                               rotate_global_orient, rotate_points_3d)
from mesh_recovery.registry import TRANSFORMS


@TRANSFORMS.register_module()
class MeshAffine(BaseTransform):
    """Crop, scale and rotate the person box to ``img_res`` x ``img_res``.

    The box of side ``scale * 200`` px centred on ``center`` is mapped onto
    the output with an in-plane rotation of ``rotation`` degrees by a single
    ``cv2.warpAffine`` (bilinear, black border). The 2D joints go through the
    same matrix and are then normalised to the crop, ``2 * px / img_res - 1``
    in [-1, 1] (joints with visibility 0 are set to 0). The 3D joints and the
    SMPL global orientation are rotated in-plane about the camera axis by the
    same rotation, so they stay consistent with the rotated image.

    Required keys: ``img`` (H, W, C), ``center`` (2,) px, ``scale`` (),
    ``keypoints_2d`` (24, 3) px; optional ``rotation`` () degrees (default 0),
    ``keypoints_3d`` (24, 4), ``pose`` (72,).
    Modified keys: ``img`` -> (img_res, img_res, C); ``keypoints_2d`` ->
    normalised; ``keypoints_3d`` and ``pose`` rotated; ``img_shape``.
    Added keys: ``crop_matrix`` (2, 3) source px -> crop px.

    Args:
        img_res: Output side length in px (mmpose: 224).
    """

    def __init__(self, img_res: int = 224) -> None:
        if int(img_res) <= 0:
            raise ValueError(f'img_res must be positive, got {img_res}')
        self.img_res = int(img_res)

    def transform(self, results: dict) -> dict:
        res = self.img_res
        rotation = float(results.get('rotation', 0.0))
        center = np.asarray(results['center'], dtype=np.float64)
        matrix = get_affine_transform(center, float(results['scale']), rotation, (res, res))
        results['img'] = self._warp(results['img'], matrix)
        results['img_shape'] = (res, res)
        results['crop_matrix'] = matrix.astype(np.float32)

        keypoints_2d = np.array(results['keypoints_2d'], dtype=np.float32, copy=True)
        crop_px = affine_transform_points(keypoints_2d[:, :2].astype(np.float64), matrix)
        keypoints_2d[:, :2] = 2.0 * crop_px / res - 1.0
        keypoints_2d[keypoints_2d[:, 2] <= 0, :2] = 0.0
        results['keypoints_2d'] = keypoints_2d

        if rotation != 0.0:
            if 'keypoints_3d' in results:
                keypoints_3d = np.array(results['keypoints_3d'], dtype=np.float32, copy=True)
                keypoints_3d[:, :3] = rotate_points_3d(keypoints_3d[:, :3].astype(np.float64), rotation)
                results['keypoints_3d'] = keypoints_3d
            if 'pose' in results:
                pose = np.array(results['pose'], dtype=np.float32, copy=True)
                pose[:3] = rotate_global_orient(pose[:3].astype(np.float64), rotation)
                results['pose'] = pose
        return results

    def _warp(self, img: np.ndarray, matrix: np.ndarray) -> np.ndarray:
        if img.ndim >= 2 and img.strides[1] < 0:
            # A mirrored view (MeshRandomFlip): sample the unmirrored buffer at mirrored
            # coordinates instead of letting OpenCV copy the whole image.
            width = img.shape[1]
            mirror = np.array([[-1.0, 0.0, width - 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
            img, matrix = img[:, ::-1], matrix @ mirror
        return cv2.warpAffine(img, matrix, (self.img_res, self.img_res), flags=cv2.INTER_LINEAR)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(img_res={self.img_res})'
