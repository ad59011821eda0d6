"""Affine helpers for crops, and the 3D rotations that match an image rotation.

Conventions: a positive ``rotation_deg`` turns the image content counter-clockwise
as displayed (as ``cv2.getRotationMatrix2D``). In the camera frame (x right, y
down, z forward) that is a rotation about the optical axis by ``-rotation_deg``,
which ``rotate_points_3d`` and ``rotate_global_orient`` apply so that 3D labels
stay consistent with the rotated image.
"""
from typing import Sequence, Union

import numpy as np
from scipy.spatial.transform import Rotation


def get_affine_transform(center: Sequence[float], scale: float, rotation_deg: float,
                         output_size: Sequence[int], inverse: bool = False) -> np.ndarray:
    """Matrix mapping source pixels to crop pixels (or back with ``inverse``).

    The box of side ``scale * 200`` px centred on ``center`` fills ``output_size``
    ``(w, h)`` (uniform scaling by ``w / side``), rotated by ``rotation_deg``
    counter-clockwise about the box centre.

    Returns:
        (2, 3) float64 affine matrix for ``cv2.warpAffine``.
    """
    width, height = float(output_size[0]), float(output_size[1])
    zoom = width / (float(scale) * 200.0)
    angle = np.deg2rad(rotation_deg)
    cos, sin = np.cos(angle) * zoom, np.sin(angle) * zoom
    # Image y points down, so a counter-clockwise turn as seen is [[c, s], [-s, c]].
    linear = np.array([[cos, sin], [-sin, cos]])
    offset = np.array([width / 2.0, height / 2.0]) - linear @ np.asarray(center, dtype=np.float64)
    matrix = np.concatenate([linear, offset[:, None]], axis=1)
    if inverse:
        inv_linear = np.linalg.inv(linear)
        matrix = np.concatenate([inv_linear, (-inv_linear @ offset)[:, None]], axis=1)
    return matrix


def affine_transform_points(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Apply a (2, 3) affine matrix to (..., 2) points."""
    points = np.asarray(points, dtype=np.float64)
    return points @ matrix[:, :2].T + matrix[:, 2]


def _camera_rotation(rotation_deg: float) -> np.ndarray:
    return Rotation.from_euler('z', -rotation_deg, degrees=True).as_matrix()


def rotate_points_3d(points: np.ndarray, rotation_deg: float) -> np.ndarray:
    """Rotate camera-frame points (..., 3) about the optical axis to match an image rotation."""
    return np.asarray(points, dtype=np.float64) @ _camera_rotation(rotation_deg).T


def rotate_global_orient(axis_angle: Union[np.ndarray, Sequence[float]], rotation_deg: float) -> np.ndarray:
    """Apply the same in-plane rotation to SMPL global orientations (..., 3): R' = Rz R."""
    axis_angle = np.asarray(axis_angle, dtype=np.float64)
    rotated = Rotation.from_matrix(_camera_rotation(rotation_deg)) * Rotation.from_rotvec(axis_angle.reshape(-1, 3))
    return rotated.as_rotvec().reshape(axis_angle.shape)
