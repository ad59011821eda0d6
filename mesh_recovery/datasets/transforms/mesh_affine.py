"""The affine crop of mmpose 0.x mesh recovery."""
import math
from typing import Tuple

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
    ``cv2.warpAffine`` (bilinear, black border; for 3-channel uint8 images
    it warps the BGRA copy of just the source window the crop reads, which
    OpenCV does 2.5x faster, see :func:`_warp_bgr_via_bgra`). The 2D joints go through the
    same matrix and are then normalised to the crop, ``2 * px / img_res - 1``
    in [-1, 1] (joints with visibility 0 are set to 0). The 3D joints and the
    SMPL global orientation are rotated in-plane about the camera axis by the
    same rotation, so they stay consistent with the rotated image.

    A geometric change that earlier transforms recorded instead of resampling
    the image (``img_pending_affine``, e.g. :class:`MeshRandomFlip`'s mirror) is
    composed into the same warp and removed.

    Required keys: ``img`` (H, W, C), ``center`` (2,) px, ``scale`` ();
    optional ``keypoints_2d`` (24, 3) px, ``rotation`` () degrees (default 0),
    ``keypoints_3d`` (24, 4), ``pose`` (72,), ``img_pending_affine`` (3, 3).
    Modified keys: ``img`` -> (img_res, img_res, C); ``keypoints_2d`` ->
    normalised; ``keypoints_3d`` and ``pose`` rotated; ``img_shape``.
    Removed keys: ``img_pending_affine``.
    Added keys: ``crop_matrix`` (2, 3) annotation px -> crop px.

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
        pending = results.pop('img_pending_affine', None)
        warp = matrix if pending is None else matrix @ pending
        results['img'] = self._warp(results['img'], warp)
        results['img_shape'] = (res, res)
        results['crop_matrix'] = matrix.astype(np.float32)

        if 'keypoints_2d' in results:  # absent at inference on images without annotations
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
        size = (self.img_res, self.img_res)
        if img.ndim == 3 and img.shape[2] == 3 and img.dtype == np.uint8:
            return _warp_bgr_via_bgra(img, matrix, size)
        return cv2.warpAffine(img, matrix, size, flags=cv2.INTER_LINEAR)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(img_res={self.img_res})'


# Source pixels (of the box around the crop) up to which the 4-channel detour pays:
# converting them costs less than the 3-channel warp's extra ~0.17 ms at 224 px.
_MAX_DETOUR_PX_PER_OUTPUT_PX = 20


def source_window(matrix: np.ndarray, size: Tuple[int, int], shape: Tuple[int, int],
                  margin: int = 2) -> Tuple[int, int, int, int]:
    """``(x0, y0, x1, y1)``: the source pixels a bilinear warp to ``size`` can read, clipped to ``shape``.

    Args:
        matrix: ``(2, 3)`` source -> output affine matrix.
        size: Output ``(w, h)``.
        shape: Source ``(h, w)``.
        margin: Extra pixels on each side (bilinear taps, fixed-point rounding).
    """
    # Plain floats: numpy's per-call overhead would cost more than the warp saves.
    (a, b, c), (d, e, f) = matrix.tolist()
    det = a * e - b * d
    w, h = size
    xs, ys = [], []
    for u, v in ((0.0, 0.0), (w - 1.0, 0.0), (0.0, h - 1.0), (w - 1.0, h - 1.0)):
        du, dv = u - c, v - f
        xs.append((e * du - b * dv) / det)
        ys.append((a * dv - d * du) / det)
    x0, y0 = math.floor(min(xs)) - margin, math.floor(min(ys)) - margin
    x1, y1 = math.ceil(max(xs)) + margin + 1, math.ceil(max(ys)) + margin + 1
    return max(x0, 0), max(y0, 0), min(x1, shape[1]), min(y1, shape[0])


def _warp_bgr_via_bgra(img: np.ndarray, matrix: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """``cv2.warpAffine`` of a (H, W, 3) uint8 image, through its 4-channel form where that is faster.

    OpenCV's bilinear warp has a vectorised path for 4 channels but not for 3
    (0.11 vs 0.28 ms at 224 px here), so the window of source pixels the crop
    reads is converted to BGRA, warped with the matrix shifted to the window,
    and converted back. Same pixels as the direct warp except where the
    shifted offset rounds differently in OpenCV's fixed-point coordinates
    (by one grey level, on under 1% of the values of a crop).
    """
    x0, y0, x1, y1 = source_window(matrix, size, img.shape[:2])
    area = (x1 - x0) * (y1 - y0)
    if x1 <= x0 or y1 <= y0 or area > _MAX_DETOUR_PX_PER_OUTPUT_PX * size[0] * size[1]:
        return cv2.warpAffine(img, matrix, size, flags=cv2.INTER_LINEAR)
    shifted = matrix.copy()
    shifted[:, 2] += matrix[:, :2] @ np.array([x0, y0], dtype=np.float64)
    window = cv2.cvtColor(img[y0:y1, x0:x1], cv2.COLOR_BGR2BGRA)
    warped = cv2.warpAffine(window, shifted, size, flags=cv2.INTER_LINEAR)
    return cv2.cvtColor(warped, cv2.COLOR_BGRA2BGR)
