"""Horizontal flip of the image and of every annotation tied to it."""
from typing import Optional

import numpy as np

from mesh_recovery.conventions import SMPL_24, SPIN_24, flip_permutation
from mesh_recovery.registry import TRANSFORMS

from .randomness import SeededRandomTransform

SPIN_FLIP = np.array(flip_permutation(SPIN_24))
SMPL_FLIP = np.array(flip_permutation(SMPL_24))
# Mirroring x -> -x maps a rotation R to M R M (M = diag(-1, 1, 1)): the axis-angle
# (x, y, z) becomes (x, -y, -z).
_AXIS_ANGLE_MIRROR = np.array([1.0, -1.0, -1.0], dtype=np.float32)


def flip_keypoints_2d(keypoints: np.ndarray, width: int) -> np.ndarray:
    """Mirror (..., 24, C) SPIN-24 image joints: x -> width - 1 - x, left/right swapped."""
    flipped = keypoints[..., SPIN_FLIP, :].copy()
    flipped[..., 0] = width - 1 - flipped[..., 0]
    return flipped


def flip_keypoints_3d(keypoints: np.ndarray) -> np.ndarray:
    """Mirror (..., 24, C) SPIN-24 camera-frame joints: X -> -X, left/right swapped."""
    flipped = keypoints[..., SPIN_FLIP, :].copy()
    flipped[..., 0] = -flipped[..., 0]
    return flipped


def flip_smpl_pose(pose: np.ndarray) -> np.ndarray:
    """Mirror (..., 72) SMPL axis-angle poses: joints swapped, y and z negated."""
    joints = pose.reshape(pose.shape[:-1] + (24, 3))[..., SMPL_FLIP, :] * _AXIS_ANGLE_MIRROR
    return joints.reshape(pose.shape).astype(pose.dtype, copy=False)


@TRANSFORMS.register_module()
class MeshRandomFlip(SeededRandomTransform):
    """Flip the image left-right with probability ``flip_prob`` (mmpose 0.x semantics).

    2D joints map x -> w - 1 - x and the box centre likewise; 3D joints map
    X -> -X; left and right joints swap (SPIN-24 names); the SMPL pose swaps
    left/right joints and negates the y and z axis-angle components. Flipping
    twice is the identity.

    The pixels are not copied here: the mirror becomes part of the affine
    matrix of the crop. The flip composes the (3, 3) mirror onto
    ``img_pending_affine``, the explicit record of what the annotations already
    assume and the stored image does not have yet; :class:`MeshAffine` applies
    it in its single warp (so a flip costs nothing on large source images), and
    :class:`PackMeshInputs` refuses a sample that still has it.

    Required keys: ``img`` (H, W, C), ``center`` (2,), ``keypoints_2d`` (24, 3),
    ``keypoints_3d`` (24, 4), ``pose`` (72,).
    Modified keys: ``center``, ``keypoints_2d``, ``keypoints_3d``, ``pose``;
    ``img_pending_affine`` when present.
    Added keys: ``flip`` (bool); ``img_pending_affine`` (3, 3) float64, source
    px -> annotation px, when flipped.

    Args:
        flip_prob: Probability of flipping.
        seed: Fallback seed (see :mod:`.randomness`).
    """

    def __init__(self, flip_prob: float = 0.5, seed: Optional[int] = None) -> None:
        super().__init__(seed)
        if not 0 <= flip_prob <= 1:
            raise ValueError(f'flip_prob must be in [0, 1], got {flip_prob}')
        self.flip_prob = float(flip_prob)

    @staticmethod
    def flip(results: dict) -> dict:
        """Flip unconditionally (in place on ``results``)."""
        width = results['img'].shape[1]
        mirror = np.array([[-1.0, 0.0, width - 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
        results['img_pending_affine'] = mirror @ results.get('img_pending_affine', np.eye(3))
        center = np.array(results['center'], dtype=np.float32, copy=True)
        center[0] = width - 1 - center[0]
        results['center'] = center
        results['keypoints_2d'] = flip_keypoints_2d(results['keypoints_2d'], width)
        results['keypoints_3d'] = flip_keypoints_3d(results['keypoints_3d'])
        results['pose'] = flip_smpl_pose(results['pose'])
        return results

    def transform(self, results: dict) -> dict:
        flip = bool(self.rng(results).random() < self.flip_prob)
        if flip:
            self.flip(results)
        results['flip'] = flip
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(flip_prob={self.flip_prob}, seed={self.seed})'
