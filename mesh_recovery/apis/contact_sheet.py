"""A contact sheet of predictions on test images: the mesh over each person, with the ground-truth joints."""
import os
import os.path as osp
from typing import List, NamedTuple, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch

from mesh_recovery.conventions.keypoints import JOINT_ERROR_14, SPIN_24, joint_indices
from mesh_recovery.datasets.annotation_format import REQUIRED_KEYS
from mesh_recovery.evaluation.functional import pa_mpjpe
from mesh_recovery.utils.errors import BadFileError
from mesh_recovery.utils.files import load_npz

from .inference import BOX_UNIT_PX, PersonMesh, inference_model
from .overlay import render_overlay

# LSP-style limbs, by SPIN-24 name.
BONES: Tuple[Tuple[str, str], ...] = (
    ('right_ankle', 'right_knee'), ('right_knee', 'right_hip'), ('left_ankle', 'left_knee'),
    ('left_knee', 'left_hip'), ('right_hip', 'left_hip'), ('right_wrist', 'right_elbow'),
    ('right_elbow', 'right_shoulder'), ('left_wrist', 'left_elbow'), ('left_elbow', 'left_shoulder'),
    ('right_shoulder', 'neck_lsp'), ('left_shoulder', 'neck_lsp'), ('neck_lsp', 'head_top'),
    ('right_hip', 'right_shoulder'), ('left_hip', 'left_shoulder'))
GT_COLOR = (60, 220, 60)  # BGR: ground truth green
PRED_COLOR = (40, 40, 230)  # predicted joints red


class ContactSheet(NamedTuple):
    """A written contact sheet.

    Attributes:
        path: The PNG file.
        indices: Annotation rows shown, in reading order.
        pa_mpjpe_mm: MPJPE-PA (mm, ``joint_error``'s 14 joints) of each shown sample
            (NaN where the file has no 3D joints).
        gt_joints_source: ``'part'`` (the file's 2D joints), ``'S + cameras'`` (3D joints
            projected with the cameras file) or ``'none'``.
    """
    path: str
    indices: List[int]
    pa_mpjpe_mm: List[float]
    gt_joints_source: str


def _gt_joints_2d(ann: dict, cameras: Optional[dict], index: int) -> Optional[np.ndarray]:
    """``(24, 3)`` ground-truth joints in image px with visibility, or None."""
    if 'part' in ann:
        return np.asarray(ann['part'][index], np.float64)
    if cameras is None or 'S' not in ann:
        return None
    joints = np.asarray(ann['S'][index], np.float64)
    focal = np.asarray(cameras['focal_length'][index], np.float64).reshape(-1)
    principal = np.asarray(cameras['principal_point'][index], np.float64)
    depth = np.maximum(joints[:, 2:3], 1e-6)
    uv = principal + focal[:2] * joints[:, :2] / depth
    return np.concatenate([uv, (joints[:, 3:4] > 0) & (joints[:, 2:3] > 0)], axis=1)


def _draw_joints(image: np.ndarray, joints: np.ndarray, color: Tuple[int, int, int], radius: int) -> None:
    """Joints ``(24, 2 or 3)`` in px (third column: visibility) as dots and limbs."""
    visible = joints[:, 2] > 0 if joints.shape[1] > 2 else np.ones(len(joints), bool)
    points = np.rint(joints[:, :2]).astype(np.int32)
    for a, b in BONES:
        i, j = joint_indices((a, b), SPIN_24)
        if visible[i] and visible[j]:
            cv2.line(image, tuple(points[i].tolist()), tuple(points[j].tolist()), color, max(1, radius // 2),
                     cv2.LINE_AA)
    for k in np.flatnonzero(visible):
        cv2.circle(image, tuple(points[k].tolist()), radius, color, -1, cv2.LINE_AA)


def _projected_prediction(person: PersonMesh) -> np.ndarray:
    points = person.keypoints_3d.astype(np.float64)
    return person.center + person.focal_length * points[:, :2] / np.maximum(points[:, 2:3], 1e-6)


def _tile(image: np.ndarray, person: PersonMesh, gt_2d: Optional[np.ndarray], caption: str, size: int) -> np.ndarray:
    """The person's crop with mesh, joints and caption, ``size`` px square."""
    overlay = render_overlay(image, [person], side_view=False).image
    zoom = size / (person.scale * BOX_UNIT_PX)
    radius = max(2, int(round(2 / zoom)))
    if gt_2d is not None:
        _draw_joints(overlay, gt_2d, GT_COLOR, radius)
    _draw_joints(overlay, _projected_prediction(person), PRED_COLOR, max(1, radius - 1))
    matrix = np.array([[zoom, 0, size / 2 - zoom * person.center[0]], [0, zoom, size / 2 - zoom * person.center[1]]])
    tile = cv2.warpAffine(overlay, matrix, (size, size), flags=cv2.INTER_AREA, borderValue=(32, 32, 32))
    cv2.rectangle(tile, (0, size - 16), (size, size), (0, 0, 0), -1)
    cv2.putText(tile, caption, (3, size - 4), cv2.FONT_HERSHEY_SIMPLEX, 0.38, (255, 255, 255), 1, cv2.LINE_AA)
    return tile


def _sample_error(ann: dict, index: int, person: PersonMesh) -> float:
    if 'S' not in ann:
        return float('nan')
    slots = joint_indices(JOINT_ERROR_14, SPIN_24)
    gt = np.asarray(ann['S'][index], np.float64)[slots]
    visible = gt[:, 3] > 0
    if visible.sum() < 3:
        return float('nan')
    return 1000.0 * pa_mpjpe(person.keypoints_3d[slots][None], gt[None, :, :3], visible[None])


def make_contact_sheet(model: torch.nn.Module, ann_file: str, img_prefix: str, out_path: str,
                       num_samples: int = 12, columns: int = 4, tile_size: int = 192,
                       cameras_file: Optional[str] = None,
                       indices: Optional[Sequence[int]] = None) -> ContactSheet:
    """Predict on test images of a SPIN-format annotation file and tile the results into one PNG.

    Each tile is the sample's crop (``center``, ``scale``) with the predicted mesh
    over it, the ground-truth joints in green and the predicted joints in red, and
    a caption with the row index and the sample's MPJPE-PA. Ground-truth 2D joints
    are the file's ``part``; without it (Human3.6M-style test files) its 3D joints
    ``S`` are projected with ``cameras_file`` (per-sample ``focal_length`` and
    ``principal_point``, as the synthetic data writes beside its files).

    Args:
        model: A ``ParametricMesh`` (e.g. from :func:`~mesh_recovery.apis.init_model`).
        ann_file: SPIN-format ``.npz`` with ``imgname``, ``center``, ``scale``.
        img_prefix: Folder the ``imgname`` entries are relative to.
        out_path: Output ``.png``.
        num_samples: Samples shown, evenly spaced over the file (ignored with ``indices``).
        columns: Tiles per row.
        tile_size: Side of a tile, px.
        cameras_file: Optional per-sample intrinsics (see above).
        indices: Rows to show instead of evenly spaced ones.

    Returns:
        What was written.
    """
    ann = load_npz(ann_file, 'annotation file', required=REQUIRED_KEYS)
    cameras = None if cameras_file is None else load_npz(cameras_file, 'cameras file',
                                                          required=('focal_length', 'principal_point'))
    total = len(ann['imgname'])
    if indices is None:
        indices = np.unique(np.linspace(0, total - 1, min(num_samples, total)).round().astype(int)).tolist()
    tiles, errors = [], []
    for index in indices:
        path = osp.join(img_prefix, str(ann['imgname'][index]))
        image = cv2.imread(path, cv2.IMREAD_COLOR)
        if image is None:
            raise BadFileError(f'{ann_file}: image {path} of row {index} does not exist or cannot be decoded')
        side = float(ann['scale'][index]) * BOX_UNIT_PX
        box = np.concatenate([np.asarray(ann['center'][index], np.float64) - side / 2, [side, side]])
        (person, ) = inference_model(model, image, box[None], bbox_padding=1.0)
        errors.append(_sample_error(ann, index, person))
        caption = f'#{index}' + ('' if np.isnan(errors[-1]) else f'  PA {errors[-1]:.0f} mm')
        tiles.append(_tile(image, person, _gt_joints_2d(ann, cameras, index), caption, tile_size))
    rows = [tiles[i:i + columns] for i in range(0, len(tiles), columns)]
    blank = np.full((tile_size, tile_size, 3), 255, np.uint8)
    sheet = np.concatenate([np.concatenate(r + [blank] * (columns - len(r)), axis=1) for r in rows], axis=0)
    parent = osp.dirname(out_path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    if not cv2.imwrite(out_path, sheet):
        raise OSError(f'could not write {out_path}')
    source = 'part' if 'part' in ann else ('S + cameras' if cameras is not None and 'S' in ann else 'none')
    return ContactSheet(out_path, list(indices), errors, source)
