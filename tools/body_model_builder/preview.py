"""Matplotlib previews of the free body model, for a person to check it looks human.

Meshes are drawn with an orthographic camera, painter's-algorithm depth
sorting and Lambert shading; joints and keypoints can be overlaid. The
posing here is a plain numpy SMPL linear blend skinning (no pose
correctives), kept separate from the project's torch layer on purpose so the
preview does not depend on it.
"""
from pathlib import Path
from typing import Dict, Optional, Sequence, Tuple

import numpy as np

from mesh_recovery.conventions import SMPL_24


def axis_angle_to_matrix(axis_angle: np.ndarray) -> np.ndarray:
    """Convert (N, 3) axis-angle vectors (radians) to (N, 3, 3) rotation matrices."""
    angle = np.linalg.norm(axis_angle, axis=1, keepdims=True)
    axis = axis_angle / np.maximum(angle, 1e-12)
    skew = np.zeros((len(axis), 3, 3))
    skew[:, 0, 1], skew[:, 0, 2], skew[:, 1, 2] = -axis[:, 2], axis[:, 1], -axis[:, 0]
    skew -= skew.transpose(0, 2, 1)
    sin, cos = np.sin(angle)[:, :, None], np.cos(angle)[:, :, None]
    return np.eye(3) + sin * skew + (1.0 - cos) * skew @ skew


def pose_mesh(model: Dict[str, np.ndarray], body_pose: Dict[str, Sequence[float]],
              betas: Optional[np.ndarray] = None) -> Tuple[np.ndarray, np.ndarray]:
    """Pose an SMPL-format model with linear blend skinning.

    Args:
        model: Arrays of ``body_model.npz`` (``v_template``, ``shapedirs``,
            ``J_regressor``, ``weights``, ``kintree_table``).
        body_pose: SMPL joint name -> axis-angle (3,) in radians, others zero.
        betas: (K,) shape coefficients, zeros if None.

    Returns:
        Posed vertices (V, 3) and joints (24, 3), metres.
    """
    shapedirs = model['shapedirs']
    betas = np.zeros(shapedirs.shape[-1]) if betas is None else np.asarray(betas)
    vertices = model['v_template'] + shapedirs[..., :len(betas)] @ betas
    joints = model['J_regressor'] @ vertices
    parents = model['kintree_table'][0]
    rotvecs = np.zeros((len(parents), 3))
    for name, value in body_pose.items():
        rotvecs[SMPL_24.index(name)] = value
    local = axis_angle_to_matrix(rotvecs)
    world_rot = np.zeros_like(local)
    world_pos = np.zeros_like(joints)
    for joint, parent in enumerate(parents):
        if parent < 0:
            world_rot[joint], world_pos[joint] = local[joint], joints[joint]
            continue
        world_rot[joint] = world_rot[parent] @ local[joint]
        world_pos[joint] = world_pos[parent] + world_rot[parent] @ (joints[joint] - joints[parent])
    shift = world_pos - np.einsum('jik,jk->ji', world_rot, joints)
    blend_rot = np.einsum('vj,jik->vik', model['weights'], world_rot)
    posed = np.einsum('vik,vk->vi', blend_rot, vertices) + model['weights'] @ shift
    return posed, world_pos


def draw_mesh(ax, vertices: np.ndarray, faces: np.ndarray, view: str = 'front',
              points: Optional[np.ndarray] = None, color=(0.72, 0.78, 0.9)) -> None:
    """Draw a shaded mesh (and optional red points) on a 2D matplotlib axis.

    Args:
        ax: Matplotlib axes.
        vertices: (V, 3) vertices, SMPL frame (y up, facing +z).
        faces: (F, 3) triangles.
        view: ``'front'`` (looking along -z), ``'side'`` (from the subject's
            left, looking along -x) or ``'top'``.
        points: (N, 3) points drawn on top, or None.
        color: Base RGB colour.
    """
    from matplotlib.collections import PolyCollection
    to_view = {'front': np.eye(3),
               'side': np.array([[0.0, 0.0, -1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]),
               'top': np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])}[view]
    view_vertices = vertices @ to_view.T
    tris = view_vertices[faces]
    normals = np.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0])
    normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)
    light = np.array([0.3, 0.4, 0.87])
    shade = 0.25 + 0.75 * np.abs(normals @ light)
    order = np.argsort(tris[:, :, 2].mean(axis=1))
    colours = np.clip(np.outer(shade, color), 0.0, 1.0)
    ax.add_collection(PolyCollection(tris[order, :, :2], facecolors=colours[order],
                                     edgecolors='none', antialiased=False))
    if points is not None:
        view_points = points @ to_view.T
        ax.scatter(view_points[:, 0], view_points[:, 1], s=6, c='red', zorder=3)
    used = view_vertices[np.unique(faces)]
    margin = 0.05 * np.ptp(used[:, :2], axis=0).max()
    ax.set_xlim(used[:, 0].min() - margin, used[:, 0].max() + margin)
    ax.set_ylim(used[:, 1].min() - margin, used[:, 1].max() + margin)
    ax.set_aspect('equal')
    ax.set_axis_off()
    ax.set_title(view)


# A natural standing-and-reaching pose for the posed preview (axis-angle, radians).
PREVIEW_POSE: Dict[str, Tuple[float, float, float]] = {
    'left_shoulder': (0.0, 0.0, -1.1), 'right_shoulder': (0.0, 0.6, 0.9),
    'left_elbow': (0.0, -0.9, 0.0), 'right_elbow': (0.0, 1.6, 0.0),
    'left_hip': (-0.7, 0.0, 0.1), 'left_knee': (1.1, 0.0, 0.0),
    'right_hip': (0.25, 0.0, -0.05), 'spine1': (0.15, 0.0, 0.0),
    'neck': (0.1, 0.3, 0.0), 'left_wrist': (0.0, 0.0, -0.3),
}


def shape_row(model: Dict[str, np.ndarray], direction: int,
              values: Sequence[float] = (-2.0, 0.0, 2.0)) -> Tuple[np.ndarray, np.ndarray]:
    """Side-by-side rest meshes for several values of one beta (one mesh, x offsets).

    Returns:
        Vertices (len(values) * V, 3) and faces of the combined mesh.
    """
    rest, faces = model['v_template'], model['f']
    meshes, tris = [], []
    for k, value in enumerate(values):
        shaped = rest + model['shapedirs'][..., direction] * value
        meshes.append(shaped + [1.8 * k, 0.0, 0.0])
        tris.append(faces + k * len(rest))
    return np.concatenate(meshes), np.concatenate(tris)


def save_previews(model: Dict[str, np.ndarray], spin_regressor: np.ndarray,
                  out_dir: Path) -> Tuple[Path, Path]:
    """Write the preview PNGs.

    ``free_body_rest.png``: the rest mesh with its SPIN-24 joints (front and
    side) and betas 0 and 2 at -2, 0, +2 standard deviations.
    ``free_body_posed.png``: the mean shape in ``PREVIEW_POSE``.

    Returns:
        The two PNG paths.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    faces, rest = model['f'], model['v_template']
    fig, axes = plt.subplots(1, 4, figsize=(20, 6), dpi=90,
                             gridspec_kw={'width_ratios': [1.6, 0.6, 2.4, 2.4]})
    for ax, view in zip(axes[:2], ('front', 'side')):
        draw_mesh(ax, rest, faces, view, points=spin_regressor @ rest)
        ax.set_title(f'rest, SPIN-24 joints ({view})')
    for ax, direction in zip(axes[2:], (0, 2)):
        draw_mesh(ax, *shape_row(model, direction), 'front')
        ax.set_title(f'beta{direction} = -2, 0, +2')
    fig.tight_layout()
    rest_path = out_dir / 'free_body_rest.png'
    fig.savefig(rest_path)
    plt.close(fig)
    posed, _ = pose_mesh(model, PREVIEW_POSE)
    fig, axes = plt.subplots(1, 2, figsize=(10, 6), dpi=90)
    draw_mesh(axes[0], posed, faces, 'front', points=spin_regressor @ posed)
    draw_mesh(axes[1], posed, faces, 'side')
    axes[0].set_title('posed, SPIN-24 joints (front)')
    axes[1].set_title('posed (side)')
    fig.tight_layout()
    posed_path = out_dir / 'free_body_posed.png'
    fig.savefig(posed_path)
    plt.close(fig)
    return rest_path, posed_path
