"""CLIFF's full-image camera: box information, crop -> full camera, projection back to the box.

CLIFF (Li et al., ECCV 2022; huawei-noah/noah-research, ``CLIFF/demo.py`` and
``CLIFF/common/utils.py``) keeps HMR's weak-perspective crop camera ``(s, tx,
ty)`` as the head's output but reads it as a perspective camera of the
ORIGINAL image: focal length ``f`` (the image's own, or ``sqrt(W^2 + H^2)``
when unknown), principal point at the image centre ``(W/2, H/2)``, and a body
whose box of side ``b`` px is centred at ``(cx, cy)``. Frames as in
:mod:`.camera` (OpenCV: x right, y down, z forward; metres and px).
"""
import torch

# CLIFF's normalisation of the box information (demo.py; "calculated from H36M data"):
# its released weights expect these inputs.
_OFFSET_GAIN = 2.8
_SIZE_MEAN, _SIZE_SPREAD = 0.24, 0.06
# mmpose / CLIFF depth guard: keeps s = 0 finite.
_DEPTH_GUARD = 1e-9


def _columns(center: torch.Tensor, box_size: torch.Tensor, img_size: torch.Tensor, focal_length: torch.Tensor):
    if center.dim() != 2 or center.shape[-1] != 2 or img_size.shape != center.shape:
        raise ValueError(f'CLIFF camera: center and img_size must be (B, 2), got {tuple(center.shape)} and '
                         f'{tuple(img_size.shape)}')
    batch = center.shape[0]
    box_size, focal_length = box_size.reshape(-1), focal_length.reshape(-1)
    if box_size.shape[0] != batch or focal_length.shape[0] != batch:
        raise ValueError(f'CLIFF camera: box_size and focal_length need {batch} values, got '
                         f'{tuple(box_size.shape)} and {tuple(focal_length.shape)}')
    return box_size, focal_length


def cliff_bbox_info(center: torch.Tensor, box_size: torch.Tensor, img_size: torch.Tensor,
                    focal_length: torch.Tensor) -> torch.Tensor:
    """CLIFF's box information ``((cx - W/2) / f * 2.8, (cy - H/2) / f * 2.8, (b - 0.24 f) / (0.06 f))``.

    The paper's ``(cx - W/2, cy - H/2, b) / f`` scaled to about [-1, 1] with the
    constants of CLIFF's demo (which its released checkpoints were trained with).

    Args:
        center: ``(B, 2)`` box centre ``(cx, cy)`` in source-image px.
        box_size: ``(B,)`` box side ``b`` px (``scale * 200``).
        img_size: ``(B, 2)`` source image ``(H, W)`` px.
        focal_length: ``(B,)`` focal length px of the source image.

    Returns:
        ``(B, 3)`` normalised box information.
    """
    box_size, focal_length = _columns(center, box_size, img_size, focal_length)
    offset = center - img_size.flip(-1) / 2.0  # (cx - W/2, cy - H/2)
    return torch.stack([offset[:, 0] / focal_length * _OFFSET_GAIN, offset[:, 1] / focal_length * _OFFSET_GAIN,
                        (box_size - _SIZE_MEAN * focal_length) / (_SIZE_SPREAD * focal_length)], dim=-1)


def crop_camera_to_full(cam: torch.Tensor, center: torch.Tensor, box_size: torch.Tensor, img_size: torch.Tensor,
                        focal_length: torch.Tensor) -> torch.Tensor:
    """Translation ``(tx', ty', tz)`` of the body in the full-image camera from the crop camera ``(s, tx, ty)``.

    ``tz = 2 f / (b s)``: the body spans ``s`` crop half-widths per metre, i.e.
    ``s b / 2`` px per metre at focal length ``f``; the crop centre's offset
    from the principal point adds ``2 (c - (W, H)/2) / (b s)`` metres to the
    crop camera's ``(tx, ty)`` (CLIFF's ``cam_crop2full``).

    Args:
        cam: ``(B, 3)`` weak-perspective crop cameras ``(s, tx, ty)``.
        center, box_size, img_size, focal_length: As in :func:`cliff_bbox_info`.

    Returns:
        ``(B, 3)`` translation, metres, of the body in the source image's camera.
    """
    box_size, focal_length = _columns(center, box_size, img_size, focal_length)
    if cam.dim() != 2 or cam.shape[-1] != 3:
        raise ValueError(f'crop_camera_to_full: cam must be (B, 3) (s, tx, ty), got {tuple(cam.shape)}')
    scaled = box_size * cam[:, 0] + _DEPTH_GUARD
    offset = center - img_size.flip(-1) / 2.0
    return torch.stack([2.0 * offset[:, 0] / scaled + cam[:, 1], 2.0 * offset[:, 1] / scaled + cam[:, 2],
                        2.0 * focal_length / scaled], dim=-1)


def project_full_to_box(points_3d: torch.Tensor, translation: torch.Tensor, center: torch.Tensor,
                        box_size: torch.Tensor, img_size: torch.Tensor, focal_length: torch.Tensor) -> torch.Tensor:
    """Project body points into the source image and express them in the box's normalised coordinates.

    ``u = f X / Z + W/2`` (likewise ``v``), then ``(u - cx) / (b / 2)``: the
    scale of the 2D joint targets (``-1`` and ``1`` are the box edges), so
    CLIFF's full-image reprojection loss reads the same targets as HMR's.

    Args:
        points_3d: ``(B, N, 3)`` body-frame points, metres.
        translation: ``(B, 3)`` full-image camera translation (:func:`crop_camera_to_full`).
        center, box_size, img_size, focal_length: As in :func:`cliff_bbox_info`.

    Returns:
        ``(B, N, 2)`` normalised box coordinates.
    """
    box_size, focal_length = _columns(center, box_size, img_size, focal_length)
    points = points_3d + translation[:, None, :]
    pixels = points[..., :2] / points[..., 2:3] * focal_length[:, None, None] + img_size.flip(-1)[:, None, :] / 2.0
    return (pixels - center[:, None, :]) / (box_size[:, None, None] / 2.0)
