"""Rotation representations: axis-angle, rotation matrices and the 6D representation.

All functions take torch tensors with any leading batch dimensions, work in the
input's floating dtype and device, and are differentiable.

The 6D representation follows the convention of mmpose's ``smpl_mean_params.npz``
and released HMR checkpoint (docs/conventions.md, 6D rotations): the 6 numbers, viewed as a ``(3, 2)``
matrix, hold the first two columns of the rotation matrix before Gram-Schmidt.
The other 6D convention in the literature (the 6 numbers split into two
3-vectors) is not interchangeable with it.
"""
from typing import Tuple

import torch
import torch.nn.functional as F

# Below this squared angle (rad^2) Rodrigues' coefficients come from their
# Taylor series: the truncation error (theta^6 / 5040) is far below float64
# resolution there, and it keeps the gradient at exactly zero finite.
_SMALL_ANGLE_SQ = 1e-6
# Below this sin(angle) the axis-angle extraction uses its first-order form.
_SMALL_SIN = 1e-6
# Beyond this cos(angle) (angle > ~172 deg) the skew part is too small to give a
# precise axis, which is then read from the symmetric part instead.
_NEAR_PI_COS = -0.99
_NORMALIZE_EPS = 1e-8


def _check(tensor: torch.Tensor, tail: Tuple[int, ...], name: str, func: str) -> None:
    """Raise a clear error unless ``tensor`` is a floating tensor of shape ``(..., *tail)``."""
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f'{func}: {name} must be a torch.Tensor, got {type(tensor).__name__}; '
                        f'convert it with torch.as_tensor(x, dtype=torch.float32)')
    shape = tuple(tensor.shape)
    if len(shape) < len(tail) or shape[len(shape) - len(tail):] != tail:
        expected = ', '.join(['...'] + [str(size) for size in tail])
        raise ValueError(f'{func}: {name} must have shape ({expected}), got {shape}')
    if not tensor.is_floating_point():
        raise TypeError(f'{func}: {name} must be a floating tensor, got {tensor.dtype}; '
                        f'cast it with .float() or .double()')


def _skew(vector: torch.Tensor) -> torch.Tensor:
    """``(..., 3) -> (..., 3, 3)`` matrices ``K`` with ``K @ w == vector x w``."""
    zero = torch.zeros_like(vector[..., 0])
    x, y, z = vector.unbind(-1)
    rows = torch.stack([zero, -z, y, z, zero, -x, -y, x, zero], dim=-1)
    return rows.reshape(vector.shape + (3, ))


def axis_angle_to_matrix(axis_angle: torch.Tensor) -> torch.Tensor:
    """Rotation vectors to rotation matrices (Rodrigues' formula).

    ``R = I + a K + b K^2`` with ``K`` the cross-product matrix of the rotation
    vector, ``a = sin(t) / t`` and ``b = (1 - cos t) / t^2``. Near ``t = 0`` the
    coefficients come from their Taylor series and the closed forms are
    evaluated on a dummy angle, so the result is exact and the gradient is
    finite (and correct) at and near the zero rotation.

    Args:
        axis_angle: ``(..., 3)`` rotation vectors: unit axis times angle in radians.

    Returns:
        ``(..., 3, 3)`` rotation matrices in the dtype of the input.
    """
    _check(axis_angle, (3, ), 'axis_angle', 'axis_angle_to_matrix')
    theta_sq = (axis_angle * axis_angle).sum(-1)[..., None, None]
    small = theta_sq < _SMALL_ANGLE_SQ
    safe_sq = torch.where(small, torch.ones_like(theta_sq), theta_sq)
    safe = safe_sq.sqrt()
    sin_ratio = torch.sin(safe) / safe
    # 2 sin^2(t/2) / t^2 equals (1 - cos t) / t^2 without the cancellation of 1 - cos t.
    half_sin_ratio = torch.sin(safe / 2) / safe
    a = torch.where(small, 1 - theta_sq / 6 + theta_sq * theta_sq / 120, sin_ratio)
    b = torch.where(small, 0.5 - theta_sq / 24 + theta_sq * theta_sq / 720, 2 * half_sin_ratio * half_sin_ratio)
    skew = _skew(axis_angle)
    eye = torch.eye(3, dtype=axis_angle.dtype, device=axis_angle.device)
    return eye + a * skew + b * (skew @ skew)


def matrix_to_axis_angle(matrix: torch.Tensor) -> torch.Tensor:
    """Rotation matrices to rotation vectors, angle in ``[0, pi]``.

    The angle is ``atan2(sin, cos)`` from the skew part (``2 sin(t) axis``) and
    the trace, which is accurate over the whole range. The axis is the
    normalised skew part except near ``pi``, where that part vanishes and the
    axis is read from the symmetric part ``(R + R^T) / 2 - cos(t) I =
    (1 - cos t) axis axis^T`` with its sign taken from the skew part. At exactly
    ``pi`` either sign is a valid answer.

    Args:
        matrix: ``(..., 3, 3)`` rotation matrices.

    Returns:
        ``(..., 3)`` rotation vectors in the dtype of the input.
    """
    _check(matrix, (3, 3), 'matrix', 'matrix_to_axis_angle')
    skew = torch.stack([
        matrix[..., 2, 1] - matrix[..., 1, 2], matrix[..., 0, 2] - matrix[..., 2, 0],
        matrix[..., 1, 0] - matrix[..., 0, 1]
    ], dim=-1)
    cos = ((matrix.diagonal(dim1=-2, dim2=-1).sum(-1) - 1) / 2).clamp(-1.0, 1.0)
    sin = skew.norm(dim=-1) / 2
    angle = torch.atan2(sin, cos)
    # t / (2 sin t), whose limit at t -> 0 is 1/2 + t^2 / 12.
    factor = torch.where(sin > _SMALL_SIN, angle / (2 * sin.clamp_min(_SMALL_SIN)), 0.5 + angle * angle / 12)
    generic = skew * factor.unsqueeze(-1)
    # Computed for every sample (no data-dependent branch, so no device sync).
    near_pi = _axis_angle_near_pi(matrix, skew, cos, angle)
    return torch.where((cos < _NEAR_PI_COS).unsqueeze(-1), near_pi, generic)


def _axis_angle_near_pi(matrix: torch.Tensor, skew: torch.Tensor, cos: torch.Tensor,
                        angle: torch.Tensor) -> torch.Tensor:
    """Axis from the symmetric part, signed by the skew part; ``(..., 3)``."""
    eye = torch.eye(3, dtype=matrix.dtype, device=matrix.device)
    outer = (matrix + matrix.transpose(-1, -2)) / 2 - cos[..., None, None] * eye
    # Every column of axis axis^T is parallel to the axis; the one with the
    # largest diagonal entry is the best conditioned.
    column = outer.diagonal(dim1=-2, dim2=-1).argmax(-1)
    index = column[..., None, None].expand(outer.shape[:-1] + (1, ))
    axis = F.normalize(torch.gather(outer, -1, index).squeeze(-1), dim=-1, eps=_NORMALIZE_EPS)
    flip = (axis * skew).sum(-1, keepdim=True) < 0
    return torch.where(flip, -axis, axis) * angle.unsqueeze(-1)


def rot6d_to_matrix(rot6d: torch.Tensor) -> torch.Tensor:
    """6D representation to rotation matrices (the convention of docs/conventions.md, 6D rotations).

    The input viewed as ``(..., 3, 2)`` holds two column vectors ``a1, a2``.
    Gram-Schmidt gives ``b1 = a1 / |a1|``, ``b2 = normalise(a2 - <b1, a2> b1)``
    and ``b3 = b1 x b2``; the result has columns ``(b1, b2, b3)``, so it is a
    proper rotation (``det = +1``) for any non-degenerate input.

    Args:
        rot6d: ``(..., 6)`` unconstrained 6D vectors.

    Returns:
        ``(..., 3, 3)`` rotation matrices.
    """
    _check(rot6d, (6, ), 'rot6d', 'rot6d_to_matrix')
    columns = rot6d.reshape(rot6d.shape[:-1] + (3, 2))
    a1, a2 = columns[..., 0], columns[..., 1]
    b1 = F.normalize(a1, dim=-1, eps=_NORMALIZE_EPS)
    b2 = F.normalize(a2 - (b1 * a2).sum(-1, keepdim=True) * b1, dim=-1, eps=_NORMALIZE_EPS)
    b3 = torch.linalg.cross(b1, b2, dim=-1)
    return torch.stack([b1, b2, b3], dim=-1)


def matrix_to_rot6d(matrix: torch.Tensor) -> torch.Tensor:
    """Rotation matrices to the 6D representation (inverse of :func:`rot6d_to_matrix`).

    The first two columns, laid out row by row as ``R[..., :, :2].reshape(6)``:
    ``[R00, R01, R10, R11, R20, R21]``.

    Args:
        matrix: ``(..., 3, 3)`` rotation matrices.

    Returns:
        ``(..., 6)`` vectors with ``rot6d_to_matrix(matrix_to_rot6d(R)) == R``.
    """
    _check(matrix, (3, 3), 'matrix', 'matrix_to_rot6d')
    return matrix[..., :2].reshape(matrix.shape[:-2] + (6, ))


def axis_angle_to_rot6d(axis_angle: torch.Tensor) -> torch.Tensor:
    """``(..., 3)`` rotation vectors (rad) to ``(..., 6)`` 6D vectors."""
    return matrix_to_rot6d(axis_angle_to_matrix(axis_angle))


def rot6d_to_axis_angle(rot6d: torch.Tensor) -> torch.Tensor:
    """``(..., 6)`` 6D vectors to ``(..., 3)`` rotation vectors (rad, angle in ``[0, pi]``)."""
    return matrix_to_axis_angle(rot6d_to_matrix(rot6d))
