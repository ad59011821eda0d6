"""Sparse, non-negative vertex regressors fitted over a population of shapes.

A regressor row ``w`` (V,) places a point at ``w @ vertices``. Rows here are
convex combinations (``w >= 0``, ``sum(w) = 1``) of a few vertices near the
point, fitted by non-negative least squares so that the point follows its
target over every sampled body shape. Convex rows move with the surface they
sit on and stay translation-equivariant, which keeps them safe on posed
meshes (an unconstrained fit can be more accurate on rest shapes but uses large
mixed-sign weights).
"""
from typing import NamedTuple, Sequence

import numpy as np
from scipy.optimize import nnls

from mesh_recovery.conventions import SMPL_24, smpl_parents

# Weight of the sum-to-one row in the least-squares problem (metres^-1 scale).
_SUM_WEIGHT = 100.0


class RegressorFit(NamedTuple):
    """A fitted regressor and how well it follows its targets.

    Attributes:
        weights: (N, V) float64 rows, non-negative, each summing to 1.
        error_mm: (N,) mean distance to the targets over the samples, mm.
    """
    weights: np.ndarray
    error_mm: np.ndarray


def fit_sparse_row(vertices: np.ndarray, targets: np.ndarray, candidates: np.ndarray,
                   max_nonzeros: int) -> np.ndarray:
    """Fit one convex, sparse regressor row.

    Args:
        vertices: (S, V, 3) vertices of the sampled shapes.
        targets: (S, 3) the point to follow in each shape.
        candidates: (K,) vertex indices the row may use.
        max_nonzeros: Keep at most this many vertices (largest weights, then refit).

    Returns:
        (V,) float64 weights, non-negative, summing to 1.
    """
    relative = vertices[:, candidates, :] - targets[:, None, :]
    design = np.concatenate([relative.transpose(0, 2, 1).reshape(-1, len(candidates)),
                             np.full((1, len(candidates)), _SUM_WEIGHT)])
    rhs = np.zeros(len(design))
    rhs[-1] = _SUM_WEIGHT
    weights, _ = nnls(design, rhs, maxiter=50 * len(candidates))
    if np.count_nonzero(weights) > max_nonzeros:
        keep = np.sort(np.argsort(-weights, kind='stable')[:max_nonzeros])
        refit, _ = nnls(design[:, keep], rhs, maxiter=50 * len(keep))
        weights = np.zeros_like(weights)
        weights[keep] = refit
    if weights.sum() <= 0:
        raise ValueError('the regressor fit found no non-negative solution; widen the candidates')
    row = np.zeros(vertices.shape[1])
    row[candidates] = weights / weights.sum()
    return row


def regression_error_mm(weights: np.ndarray, vertices: np.ndarray,
                        targets: np.ndarray) -> np.ndarray:
    """Mean distance (mm) between ``weights @ vertices`` and (S, N, 3) ``targets``, per row."""
    predicted = np.einsum('nv,svi->sni', weights, vertices)
    return 1000.0 * np.linalg.norm(predicted - targets, axis=2).mean(axis=0)


def nearest_candidates(points: np.ndarray, template: np.ndarray, allowed: np.ndarray,
                       count: int) -> np.ndarray:
    """Indices of the ``count`` allowed template vertices nearest to ``points`` (3,)."""
    allowed = np.flatnonzero(allowed)
    distance = np.linalg.norm(template[allowed] - points, axis=1)
    return np.sort(allowed[np.argsort(distance, kind='stable')[:count]])


def fit_joint_regressor(vertices: np.ndarray, joints: np.ndarray, skin_weights: np.ndarray,
                        max_nonzeros: int = 10, num_candidates: int = 800) -> RegressorFit:
    """Fit SMPL's (24, V) ``J_regressor`` to joint locations over sampled shapes.

    Each joint may use vertices mostly skinned to itself, its parent or its
    children (so a hip never borrows the other leg), the ``num_candidates``
    nearest to its mean location.

    Args:
        vertices: (S, V, 3) rest vertices.
        joints: (S, 24, 3) joint locations, SMPL order.
        skin_weights: (V, 24) grouped skinning weights.
        max_nonzeros: Vertices per joint.
        num_candidates: Candidate vertices per joint.
    """
    parents = smpl_parents()
    owner = np.argmax(skin_weights, axis=1)
    template = vertices.mean(axis=0)
    rows = []
    for joint in range(len(SMPL_24)):
        family = {joint, parents[joint]} | {c for c, p in enumerate(parents) if p == joint}
        allowed = np.isin(owner, sorted(family - {-1}))
        candidates = nearest_candidates(joints[:, joint].mean(axis=0), template, allowed,
                                        num_candidates)
        rows.append(fit_sparse_row(vertices, joints[:, joint], candidates, max_nonzeros))
    weights = np.stack(rows)
    return RegressorFit(weights, regression_error_mm(weights, vertices, joints))


def fit_keypoint_regressor(vertices: np.ndarray, targets: np.ndarray, allowed: np.ndarray,
                           max_nonzeros: int = 8, num_candidates: int = 150) -> RegressorFit:
    """Fit sparse rows for surface keypoints (e.g. nose, eyes, ears).

    Args:
        vertices: (S, V, 3) vertices.
        targets: (S, N, 3) keypoint locations.
        allowed: (N, V) bool mask of the vertices each row may use.
        max_nonzeros: Vertices per keypoint.
        num_candidates: Candidate vertices per keypoint (nearest to its mean location).
    """
    template = vertices.mean(axis=0)
    rows = []
    for point in range(targets.shape[1]):
        candidates = nearest_candidates(targets[:, point].mean(axis=0), template,
                                        allowed[point], num_candidates)
        rows.append(fit_sparse_row(vertices, targets[:, point], candidates, max_nonzeros))
    weights = np.stack(rows)
    return RegressorFit(weights, regression_error_mm(weights, vertices, targets))


def crown_row(template: np.ndarray, allowed: np.ndarray, count: int = 10) -> np.ndarray:
    """Uniform weights over the ``count`` highest (largest y) allowed template vertices."""
    allowed = np.flatnonzero(allowed)
    top = allowed[np.argsort(-template[allowed, 1], kind='stable')[:count]]
    row = np.zeros(len(template))
    row[top] = 1.0 / count
    return row


def mix_rows(rows: Sequence[np.ndarray], fractions: Sequence[float]) -> np.ndarray:
    """Convex combination of regressor rows (``fractions`` must sum to 1)."""
    if not np.isclose(sum(fractions), 1.0) or min(fractions) < 0:
        raise ValueError(f'mix fractions must be non-negative and sum to 1, got {fractions}')
    return sum(f * r for f, r in zip(fractions, rows))
