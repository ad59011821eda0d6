"""Camera models of HMR: perspective projection and the weak-perspective crop camera.

Frames follow OpenCV: x right, y down, z forward, metres; pixels (u, v).
"""
from typing import Optional, Union

import torch


def perspective_projection(points_3d: torch.Tensor,
                           translation: torch.Tensor,
                           focal_length: Union[float, torch.Tensor],
                           camera_center: torch.Tensor,
                           rotation: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Project camera-frame points with a pinhole camera.

    Args:
        points_3d: (B, N, 3) points, metres.
        translation: (B, 3) camera translation added after ``rotation``.
        focal_length: A float, (B,) or (B, 2) focal lengths in px.
        camera_center: (B, 2) principal point in px.
        rotation: Optional (B, 3, 3) rotation applied first.

    Returns:
        (B, N, 2) pixel coordinates ``f * (X / Z) + c``.
    """
    if rotation is not None:
        points_3d = points_3d @ rotation.transpose(-1, -2)
    points = points_3d + translation.unsqueeze(1)
    focal = torch.as_tensor(focal_length, dtype=points.dtype, device=points.device)
    if focal.dim() == 1:
        focal = focal.unsqueeze(-1)  # (B,) -> (B, 1), the same for u and v
    if focal.dim() >= 1:
        focal = focal.unsqueeze(1)  # broadcast over the N points
    return points[..., :2] / points[..., 2:3] * focal + camera_center.unsqueeze(1)


def weak_perspective_to_translation(cam: torch.Tensor, focal_length: float = 5000.0,
                                    img_res: int = 224) -> torch.Tensor:
    """HMR's camera (s, tx, ty) -> translation ``[tx, ty, 2 f / (img_res s + 1e-9)]`` (DESIGN 4.6).

    Args:
        cam: (B, 3) weak-perspective cameras.
        focal_length: Focal length in px of the virtual crop camera.
        img_res: Side of the square crop in px.

    Returns:
        (B, 3) translation in metres.
    """
    depth = 2 * focal_length / (img_res * cam[:, 0] + 1e-9)
    return torch.stack([cam[:, 1], cam[:, 2], depth], dim=-1)


def translation_to_weak_perspective(translation: torch.Tensor, focal_length: float = 5000.0,
                                    img_res: int = 224) -> torch.Tensor:
    """Inverse of :func:`weak_perspective_to_translation` (up to its 1e-9 guard)."""
    scale = 2 * focal_length / (img_res * translation[:, 2])
    return torch.stack([scale, translation[:, 0], translation[:, 1]], dim=-1)


def project_to_crop(points_3d: torch.Tensor, cam: torch.Tensor, focal_length: float = 5000.0,
                    img_res: int = 224) -> torch.Tensor:
    """Project points with the crop camera into normalised crop coordinates [-1, 1].

    The principal point is the crop centre, so projecting with a zero centre and
    dividing by ``img_res / 2`` gives the same coordinates as the 2D joint targets
    (``2 * px / img_res - 1``).

    Args:
        points_3d: (B, N, 3) body points, metres.
        cam: (B, 3) weak-perspective cameras (s, tx, ty).

    Returns:
        (B, N, 2) normalised coordinates.
    """
    translation = weak_perspective_to_translation(cam, focal_length, img_res)
    centre = torch.zeros_like(translation[:, :2])
    return perspective_projection(points_3d, translation, focal_length, centre) / (img_res / 2.0)
