"""Rotation representations: axis-angle, rotation matrices and the 6D representation.

All functions are batched over any leading dimensions and differentiable.

The 6D representation follows the convention of mmpose's ``smpl_mean_params.npz``
and released HMR checkpoint: the 6 numbers, viewed as a (3, 2) matrix, are the
first two columns of the rotation matrix before Gram-Schmidt. The other 6D
convention in the literature (two rows, or the 6 numbers split as two 3-vectors)
is not interchangeable.
"""
import torch
import torch.nn.functional as F

_EPS = 1e-8


def _skew(v: torch.Tensor) -> torch.Tensor:
    """(..., 3) -> (..., 3, 3) cross-product matrices."""
    zero = torch.zeros_like(v[..., 0])
    x, y, z = v.unbind(-1)
    return torch.stack([zero, -z, y, z, zero, -x, -y, x, zero], dim=-1).view(v.shape + (3,))


def axis_angle_to_matrix(axis_angle: torch.Tensor) -> torch.Tensor:
    """Rodrigues' formula.

    Args:
        axis_angle: (..., 3) rotation vectors (axis times angle in radians).

    Returns:
        (..., 3, 3) rotation matrices. Exact and with finite gradients at and
        near the zero rotation (Taylor expansions of sin(t)/t and (1-cos t)/t^2).
    """
    theta2 = (axis_angle * axis_angle).sum(-1, keepdim=True).unsqueeze(-1)
    small = theta2 < 1e-6
    # Evaluate the closed forms on a safe angle so no NaN reaches the gradient.
    safe2 = torch.where(small, torch.ones_like(theta2), theta2)
    safe = safe2.sqrt()
    a = torch.where(small, 1 - theta2 / 6 + theta2 * theta2 / 120, torch.sin(safe) / safe)
    b = torch.where(small, 0.5 - theta2 / 24 + theta2 * theta2 / 720, (1 - torch.cos(safe)) / safe2)
    k = _skew(axis_angle)
    eye = torch.eye(3, dtype=axis_angle.dtype, device=axis_angle.device).expand_as(k)
    return eye + a * k + b * (k @ k)


def matrix_to_axis_angle(matrix: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`axis_angle_to_matrix`, angle in [0, pi].

    Robust near 0 (first-order from the skew part) and near pi (axis from the
    symmetric part, sign fixed by the skew part).

    Args:
        matrix: (..., 3, 3) rotation matrices.

    Returns:
        (..., 3) rotation vectors.
    """
    skew = torch.stack([matrix[..., 2, 1] - matrix[..., 1, 2], matrix[..., 0, 2] - matrix[..., 2, 0],
                        matrix[..., 1, 0] - matrix[..., 0, 1]], dim=-1)  # 2 sin(t) * axis
    cos = ((matrix.diagonal(dim1=-2, dim2=-1).sum(-1) - 1) / 2).clamp(-1.0, 1.0)
    sin = skew.norm(dim=-1) / 2
    angle = torch.atan2(sin, cos)
    # Generic case: axis = skew / (2 sin t); near 0, t / sin t -> 1.
    factor = torch.where(sin > 1e-6, angle / (2 * sin.clamp_min(1e-12)), 0.5 + angle * angle / 12)
    result = skew * factor.unsqueeze(-1)
    near_pi = cos < -0.99
    if near_pi.any():
        result = torch.where(near_pi.unsqueeze(-1), _axis_angle_near_pi(matrix, skew, angle), result)
    return result


def _axis_angle_near_pi(matrix: torch.Tensor, skew: torch.Tensor, angle: torch.Tensor) -> torch.Tensor:
    # R + R^T - 2 cos(t) I = 2 (1 - cos t) a a^T: take its largest column as the axis.
    cos = torch.cos(angle)[..., None, None]
    eye = torch.eye(3, dtype=matrix.dtype, device=matrix.device)
    outer = (matrix + matrix.transpose(-1, -2)) / 2 - cos * eye
    column = outer.diagonal(dim1=-2, dim2=-1).argmax(-1)
    axis = torch.gather(outer, -1, column[..., None, None].expand(outer.shape[:-1] + (1,))).squeeze(-1)
    axis = F.normalize(axis, dim=-1, eps=_EPS)
    sign = torch.where((axis * skew).sum(-1, keepdim=True) < 0, -1.0, 1.0).to(matrix.dtype)
    return axis * sign * angle.unsqueeze(-1)


def rot6d_to_matrix(rot6d: torch.Tensor) -> torch.Tensor:
    """6D representation -> rotation matrix (DESIGN 4.5 convention).

    The input viewed as (3, 2) holds two column vectors a1, a2; Gram-Schmidt
    gives b1 = a1 / |a1|, b2 = normalised a2 - <b1, a2> b1, and b3 = b1 x b2.

    Args:
        rot6d: (..., 6).

    Returns:
        (..., 3, 3) rotation matrices with columns (b1, b2, b3).
    """
    x = rot6d.reshape(rot6d.shape[:-1] + (3, 2))
    a1, a2 = x[..., 0], x[..., 1]
    b1 = F.normalize(a1, dim=-1, eps=_EPS)
    b2 = F.normalize(a2 - (b1 * a2).sum(-1, keepdim=True) * b1, dim=-1, eps=_EPS)
    b3 = torch.cross(b1, b2, dim=-1)
    return torch.stack([b1, b2, b3], dim=-1)


def matrix_to_rot6d(matrix: torch.Tensor) -> torch.Tensor:
    """Rotation matrix -> 6D (the first two columns, laid out as ``(3, 2).reshape(6)``).

    Args:
        matrix: (..., 3, 3).

    Returns:
        (..., 6) such that ``rot6d_to_matrix(matrix_to_rot6d(R)) == R``.
    """
    return matrix[..., :2].reshape(matrix.shape[:-2] + (6,))


def axis_angle_to_rot6d(axis_angle: torch.Tensor) -> torch.Tensor:
    """(..., 3) axis-angle -> (..., 6)."""
    return matrix_to_rot6d(axis_angle_to_matrix(axis_angle))


def rot6d_to_axis_angle(rot6d: torch.Tensor) -> torch.Tensor:
    """(..., 6) -> (..., 3) axis-angle."""
    return matrix_to_axis_angle(rot6d_to_matrix(rot6d))
