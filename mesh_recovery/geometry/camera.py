"""Camera models of HMR: pinhole projection and the weak-perspective crop camera.

Frames follow OpenCV: x right, y down, z forward (metres); pixels ``(u, v)``
with ``u`` to the right and ``v`` down.

HMR predicts a weak-perspective camera ``(s, tx, ty)`` per crop. It is turned
into a perspective camera with a large focal length ``f`` (mmpose: 5000 px)
looking at the body from the depth ``tz = 2 f / (img_res * s)``, at which a
body-frame length ``L`` spans ``s * L`` in normalised crop units, as the weak
perspective model says (docs/conventions.md, weak-perspective camera).
"""
from typing import Optional, Union

import torch

# Guard of mmpose's depth formula: keeps s = 0 finite (docs/conventions.md, weak-perspective camera).
_DEPTH_GUARD = 1e-9


def _check(tensor: torch.Tensor, shape: str, ok: bool, name: str, func: str) -> None:
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f'{func}: {name} must be a torch.Tensor of shape {shape}, got '
                        f'{type(tensor).__name__}; convert it with torch.as_tensor')
    if not ok:
        raise ValueError(f'{func}: {name} must have shape {shape}, got {tuple(tensor.shape)}')


def _focal_tensor(focal_length: Union[float, torch.Tensor], points: torch.Tensor) -> torch.Tensor:
    """Focal length(s) broadcastable against ``(B, N, 2)`` projected points."""
    focal = torch.as_tensor(focal_length, dtype=points.dtype, device=points.device)
    if focal.dim() == 0:
        return focal
    if focal.dim() == 1:
        return focal[:, None, None]  # (B,): the same focal length for u and v
    if focal.dim() == 2 and focal.shape[-1] == 2:
        return focal[:, None, :]  # (B, 2): (fx, fy)
    raise ValueError(f'perspective_projection: focal_length must be a float, (B,) or (B, 2) '
                     f'tensor in px, got shape {tuple(focal.shape)}')


def perspective_projection(points_3d: torch.Tensor,
                           translation: torch.Tensor,
                           focal_length: Union[float, torch.Tensor],
                           camera_center: torch.Tensor,
                           rotation: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Project points with a pinhole camera: ``u = fx * X / Z + cx``, ``v = fy * Y / Z + cy``.

    The camera-frame point is ``rotation @ p + translation``. Points must lie in
    front of the camera (``Z > 0``); no clipping is applied.

    Args:
        points_3d: ``(B, N, 3)`` points, metres.
        translation: ``(B, 3)`` translation added after the rotation, metres.
        focal_length: Focal length in px: a float, or a ``(B,)`` or ``(B, 2)``
            ``(fx, fy)`` tensor.
        camera_center: ``(B, 2)`` principal point ``(cx, cy)`` in px.
        rotation: Optional ``(B, 3, 3)`` rotation applied first (identity if None).

    Returns:
        ``(B, N, 2)`` pixel coordinates.
    """
    func = 'perspective_projection'
    _check(points_3d, '(B, N, 3)', points_3d.dim() == 3 and points_3d.shape[-1] == 3, 'points_3d', func)
    _check(translation, '(B, 3)', translation.dim() == 2 and translation.shape[-1] == 3, 'translation', func)
    _check(camera_center, '(B, 2)', camera_center.dim() == 2 and camera_center.shape[-1] == 2, 'camera_center',
           func)
    if rotation is not None:
        _check(rotation, '(B, 3, 3)', rotation.dim() == 3 and rotation.shape[-2:] == (3, 3), 'rotation', func)
        points_3d = points_3d @ rotation.transpose(-1, -2)
    points = points_3d + translation.unsqueeze(1)
    focal = _focal_tensor(focal_length, points)
    return points[..., :2] / points[..., 2:3] * focal + camera_center.unsqueeze(1)


def weak_perspective_to_translation(cam: torch.Tensor, focal_length: float = 5000.0,
                                    img_res: int = 224) -> torch.Tensor:
    """HMR camera ``(s, tx, ty)`` to the translation ``[tx, ty, 2 f / (img_res s + 1e-9)]``.

    Args:
        cam: ``(B, 3)`` weak-perspective cameras: scale ``s`` (normalised crop
            units per metre) and the translation ``(tx, ty)`` in metres.
        focal_length: Focal length of the virtual crop camera, px.
        img_res: Side of the square crop, px.

    Returns:
        ``(B, 3)`` camera translation of the body, metres.
    """
    _check(cam, '(B, 3)', cam.dim() == 2 and cam.shape[-1] == 3, 'cam', 'weak_perspective_to_translation')
    depth = 2 * focal_length / (img_res * cam[:, 0] + _DEPTH_GUARD)
    return torch.stack([cam[:, 1], cam[:, 2], depth], dim=-1)


def translation_to_weak_perspective(translation: torch.Tensor, focal_length: float = 5000.0,
                                    img_res: int = 224) -> torch.Tensor:
    """Inverse of :func:`weak_perspective_to_translation`: ``s = 2 f / (img_res tz)``.

    Exact up to the ``1e-9`` guard of the forward formula (``s`` comes back
    larger by ``1e-9 / img_res``).

    Args:
        translation: ``(B, 3)`` camera translations with ``tz > 0``, metres.
        focal_length: Focal length of the virtual crop camera, px.
        img_res: Side of the square crop, px.

    Returns:
        ``(B, 3)`` weak-perspective cameras ``(s, tx, ty)``.
    """
    _check(translation, '(B, 3)', translation.dim() == 2 and translation.shape[-1] == 3, 'translation',
           'translation_to_weak_perspective')
    scale = 2 * focal_length / (img_res * translation[:, 2])
    return torch.stack([scale, translation[:, 0], translation[:, 1]], dim=-1)


def project_to_crop(points_3d: torch.Tensor, cam: torch.Tensor, focal_length: float = 5000.0,
                    img_res: int = 224) -> torch.Tensor:
    """Project body points with the crop camera into normalised crop coordinates.

    The translation comes from :func:`weak_perspective_to_translation`, the
    principal point is the crop centre (taken as the origin) and the pixel
    offsets are divided by ``img_res / 2``. The result is on the scale of the
    2D joint targets ``2 * px / img_res - 1``: ``-1`` and ``1`` are the crop
    edges. A point at the body origin lands at ``(s * tx, s * ty)``.

    Args:
        points_3d: ``(B, N, 3)`` body-frame points (e.g. joints), metres.
        cam: ``(B, 3)`` weak-perspective cameras ``(s, tx, ty)``.
        focal_length: Focal length of the virtual crop camera, px.
        img_res: Side of the square crop, px.

    Returns:
        ``(B, N, 2)`` normalised crop coordinates.
    """
    translation = weak_perspective_to_translation(cam, focal_length, img_res)
    centre = torch.zeros_like(translation[:, :2])
    return perspective_projection(points_3d, translation, focal_length, centre) / (img_res / 2.0)
