"""Crop affine transforms (numpy) and the 3D rotations that match an image rotation.

Conventions: image pixels ``(u, v)`` with ``v`` down; camera frame x right,
y down, z forward (OpenCV). A positive ``rotation_deg`` turns the image content
counter-clockwise as displayed, as ``cv2.getRotationMatrix2D`` does: about the
crop centre, pixel offsets ``d`` become ``[[c, s], [-s, c]] @ d`` with
``c, s = cos, sin(rotation_deg)``. Since ``(u - cx, v - cy) = f (X, Y) / Z``,
the same 2x2 matrix applied to ``(X, Y)`` moves the projections identically;
as a rotation of the camera frame it is ``Rz(-rotation_deg)`` about the optical
axis (right-handed angle about +z). :func:`rotate_points_3d` and
:func:`rotate_global_orient` apply it, so 3D labels stay consistent with a
rotated crop whose rotation centre is the principal point.
"""
import math
from typing import Sequence

import cv2
import numpy as np
from numpy.typing import ArrayLike

_BOX_UNIT_PX = 200.0  # SPIN/mmpose convention: box side = scale * 200 px


def get_affine_transform(center: ArrayLike, scale: float, rotation_deg: float, output_size: Sequence[int],
                         inverse: bool = False) -> np.ndarray:
    """Matrix mapping source-image pixels to crop pixels (or back with ``inverse``).

    The square box of side ``scale * 200`` px centred on ``center`` is mapped
    onto the output: the box centre goes to the output centre ``(w / 2, h / 2)``
    and the box side to the output width ``w`` (uniform scaling, so a square
    output is filled exactly), with an in-plane rotation of ``rotation_deg``
    counter-clockwise as displayed about the box centre.

    Args:
        center: ``(2,)`` box centre ``(u, v)`` in source px.
        scale: Box side / 200 px (> 0).
        rotation_deg: Rotation of the image content, degrees, counter-clockwise.
        output_size: ``(w, h)`` of the crop, px.
        inverse: Return the crop -> source matrix instead.

    Returns:
        ``(2, 3)`` float64 affine matrix, usable with ``cv2.warpAffine`` (forward).
    """
    # Plain floats: this runs once per training sample, where numpy's per-call overhead on
    # 2-vectors and 2x2 matrices took 21 us (4 us this way).
    values = np.asarray(center, dtype=np.float64).reshape(-1).tolist()
    if len(values) != 2 or not all(math.isfinite(v) for v in values):
        raise ValueError(f'get_affine_transform: center must be 2 finite px values (u, v), got {center}')
    if not (math.isfinite(scale) and scale > 0):
        raise ValueError(f'get_affine_transform: scale must be positive (box side / 200 px), got {scale}')
    if len(output_size) != 2 or min(output_size) <= 0:
        raise ValueError(f'get_affine_transform: output_size must be positive (w, h) px, got {output_size}')
    (cu, cv), width, height = values, float(output_size[0]), float(output_size[1])
    zoom = width / (float(scale) * _BOX_UNIT_PX)
    angle = math.radians(float(rotation_deg))
    cos, sin = math.cos(angle), math.sin(angle)
    # With v pointing down, a counter-clockwise turn as displayed is [[c, s], [-s, c]]; the crop
    # centre receives the box centre.
    (a, b), (c, d) = (zoom * cos, zoom * sin), (-zoom * sin, zoom * cos)
    half_w, half_h = width / 2.0, height / 2.0
    if inverse:
        # The inverse of zoom * (rotation) is (rotation)^T / zoom; the box centre receives the crop centre.
        (a, b), (c, d) = (cos / zoom, -sin / zoom), (sin / zoom, cos / zoom)
        return np.array([[a, b, cu - (a * half_w + b * half_h)], [c, d, cv - (c * half_w + d * half_h)]])
    return np.array([[a, b, half_w - (a * cu + b * cv)], [c, d, half_h - (c * cu + d * cv)]])


def affine_transform_points(points: ArrayLike, matrix: np.ndarray) -> np.ndarray:
    """Apply a ``(2, 3)`` affine matrix to points.

    Args:
        points: ``(..., 2)`` pixel coordinates.
        matrix: ``(2, 3)`` affine matrix (e.g. from :func:`get_affine_transform`).

    Returns:
        ``(..., 2)`` float64 transformed coordinates.
    """
    points = np.asarray(points, dtype=np.float64)
    matrix = np.asarray(matrix, dtype=np.float64)
    if matrix.shape != (2, 3):
        raise ValueError(f'affine_transform_points: matrix must have shape (2, 3), got {matrix.shape}')
    if points.ndim == 0 or points.shape[-1] != 2:
        raise ValueError(f'affine_transform_points: points must have shape (..., 2), got {points.shape}')
    return points @ matrix[:, :2].T + matrix[:, 2]


def _in_plane_rotation(rotation_deg: float) -> np.ndarray:
    """``(3, 3)`` camera-frame rotation matching an image rotation of ``rotation_deg``."""
    # Closed form: this runs once per training sample, where scipy's overhead shows.
    angle = -np.deg2rad(float(rotation_deg))
    cos, sin = np.cos(angle), np.sin(angle)
    return np.array([[cos, -sin, 0.0], [sin, cos, 0.0], [0.0, 0.0, 1.0]])


def rotate_points_3d(points: ArrayLike, rotation_deg: float) -> np.ndarray:
    """Rotate camera-frame points about the optical axis to match an image rotation.

    Projecting the result with a camera whose principal point is the rotation
    centre gives the image points rotated by :func:`get_affine_transform` with
    the same ``rotation_deg``.

    Args:
        points: ``(..., 3)`` camera-frame points, metres.
        rotation_deg: Image rotation, degrees, counter-clockwise as displayed.

    Returns:
        ``(..., 3)`` float64 rotated points.
    """
    points = np.asarray(points, dtype=np.float64)
    if points.ndim == 0 or points.shape[-1] != 3:
        raise ValueError(f'rotate_points_3d: points must have shape (..., 3), got {points.shape}')
    return points @ _in_plane_rotation(rotation_deg).T


def rotate_global_orient(axis_angle: ArrayLike, rotation_deg: float) -> np.ndarray:
    """Apply the in-plane rotation of :func:`rotate_points_3d` to global orientations.

    ``R' = Rz R``: a body posed with the result equals the original posed body
    rotated by :func:`rotate_points_3d` about the camera origin (SMPL rotates
    about its root joint, so the two can differ by a translation, which
    root-centred joints and the predicted camera absorb).

    Args:
        axis_angle: ``(..., 3)`` SMPL global orientations (rotation vectors, rad).
        rotation_deg: Image rotation, degrees, counter-clockwise as displayed.

    Returns:
        ``(..., 3)`` float64 rotation vectors with angles in ``[0, pi]``.
    """
    axis_angle = np.asarray(axis_angle, dtype=np.float64)
    if axis_angle.ndim == 0 or axis_angle.shape[-1] != 3:
        raise ValueError(f'rotate_global_orient: axis_angle must have shape (..., 3), got {axis_angle.shape}')
    in_plane = _in_plane_rotation(rotation_deg)
    # OpenCV's Rodrigues is ~20x faster than scipy for the one vector per sample.
    rotated = [cv2.Rodrigues(in_plane @ cv2.Rodrigues(vector)[0])[0][:, 0] for vector in axis_angle.reshape(-1, 3)]
    return np.asarray(rotated, dtype=np.float64).reshape(axis_angle.shape)
