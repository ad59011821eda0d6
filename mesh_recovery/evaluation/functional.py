"""Joint and vertex error functions on numpy arrays or torch tensors.

Semantics follow mmpose's ``keypoint_mpjpe``: any alignment is fitted per
sample on all ``K`` joints (visible or not), then the Euclidean error is
averaged over the visible joints of all samples. Errors are in the inputs'
length unit (multiply metres by 1000 for mm). Everything is computed in
numpy float64; torch inputs are detached and copied to the CPU first.
"""
import os.path as osp
import re
from typing import Optional, Sequence, Union

import numpy as np
import torch

from mesh_recovery.geometry.alignment import align_by_procrustes

Array = Union[np.ndarray, torch.Tensor]

ALIGNMENTS = ('none', 'scale', 'procrustes')

# The thresholds of MPI-INF-3DHP's AUC: 0 to 150 mm in steps of 5 mm (31 values),
# as the dataset's evaluation script and mmhuman3d's ``keypoint_3d_auc`` use them.
AUC_THRESHOLDS_MM = tuple(float(t) for t in np.linspace(0.0, 150.0, 31))

# Human3.6M subjects name some actions two ways; papers report them under one name.
_H36M_ACTION_ALIASES = {'TakingPhoto': 'Photo', 'WalkingDog': 'WalkDog'}
_H36M_IMAGE_NAME = re.compile(r'^S\d+_(?P<action>[^.]+?)(?:_\d+)?\.\w+_\d+\.\w+$')


def _as_float64(name: str, value: Array) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    if not isinstance(value, np.ndarray):
        raise TypeError(f'{name} must be a numpy array or a torch tensor, got {type(value).__name__}')
    return value.astype(np.float64, copy=False)


def _check_points(pred_name: str, pred: np.ndarray, gt_name: str, gt: np.ndarray) -> None:
    if pred.shape != gt.shape or pred.ndim != 3 or pred.shape[-1] != 3:
        raise ValueError(f'{pred_name} and {gt_name} must both have shape (N, K, 3), got '
                         f'{pred_name} {pred.shape} and {gt_name} {gt.shape}')


def _visible_mask(mask: Optional[Array], shape: tuple) -> np.ndarray:
    if mask is None:
        mask = np.ones(shape, dtype=bool)
    elif isinstance(mask, torch.Tensor):
        mask = mask.detach().cpu().numpy()
    mask = np.asarray(mask)
    if mask.dtype != np.bool_:
        raise TypeError(f'mask must be boolean, got dtype {mask.dtype}; pass e.g. `visibility > 0`')
    if mask.shape != shape:
        raise ValueError(f'mask must have shape (N, K) = {shape} to match pred and gt, got {mask.shape}')
    if not mask.any():
        raise ValueError(f'mask of shape {mask.shape} selects no joint: the mean error over '
                         f'zero joints is undefined; check the ground-truth visibility')
    return mask


def _point_distances(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """``(N, K, 3) -> (N, K)`` Euclidean distances."""
    diff = pred - gt
    # Spelled out per axis: several times faster than a norm over a length-3 axis.
    return np.sqrt(diff[..., 0]**2 + diff[..., 1]**2 + diff[..., 2]**2)


def _align_scale(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Rescale each predicted sample by the least-squares factor <pred, gt> / <pred, pred>."""
    pred_dot_pred = np.einsum('nkc,nkc->n', pred, pred)
    pred_dot_gt = np.einsum('nkc,nkc->n', pred, gt)
    # A prediction at the origin has no best scale; keeping it (factor 1) avoids 0 / 0.
    factor = np.divide(pred_dot_gt, pred_dot_pred, out=np.ones_like(pred_dot_gt),
                       where=pred_dot_pred > 0)
    return pred * factor[:, None, None]


def per_joint_errors(pred: Array, gt: Array, alignment: str = 'none') -> np.ndarray:
    """Euclidean error of every joint of every sample, after an optional alignment.

    Args:
        pred: ``(N, K, 3)`` predicted joints.
        gt: ``(N, K, 3)`` ground-truth joints, same unit as ``pred``.
        alignment: ``'none'``, ``'scale'`` or ``'procrustes'`` (see :func:`mpjpe`).

    Returns:
        ``(N, K)`` float64 distances in the unit of the inputs.

    Raises:
        ValueError: Shapes disagree or ``alignment`` is unknown.
    """
    if alignment not in ALIGNMENTS:
        raise ValueError(f'alignment must be one of {ALIGNMENTS}, got {alignment!r}')
    pred_np, gt_np = _as_float64('pred', pred), _as_float64('gt', gt)
    _check_points('pred', pred_np, 'gt', gt_np)
    if alignment == 'scale':
        pred_np = _align_scale(pred_np, gt_np)
    elif alignment == 'procrustes':
        pred_np = align_by_procrustes(pred_np, gt_np)
    return _point_distances(pred_np, gt_np)


def mpjpe(pred: Array, gt: Array, mask: Optional[Array] = None, alignment: str = 'none') -> float:
    """Mean per-joint position error, optionally after a per-sample alignment.

    Args:
        pred: ``(N, K, 3)`` predicted joints.
        gt: ``(N, K, 3)`` ground-truth joints, same unit as ``pred``.
        mask: ``(N, K)`` boolean, True for the joints to score; None scores all.
        alignment: ``'none'``; ``'scale'`` (least-squares scale factor per
            sample); or ``'procrustes'`` (scale, rotation and translation per
            sample, reflections excluded). Fitted on all ``K`` joints.

    Returns:
        The mean Euclidean distance over the masked joints of all samples, in
        the unit of the inputs, as a Python float.

    Raises:
        ValueError: Shapes disagree, the mask selects nothing, or ``alignment``
            is unknown.
        TypeError: An input is not an array / tensor, or the mask is not boolean.
    """
    errors = per_joint_errors(pred, gt, alignment)
    visible = _visible_mask(mask, errors.shape)
    return float(errors[visible].mean())


def pa_mpjpe(pred: Array, gt: Array, mask: Optional[Array] = None) -> float:
    """Procrustes-aligned MPJPE: :func:`mpjpe` with ``alignment='procrustes'``.

    Args:
        pred: ``(N, K, 3)`` predicted joints.
        gt: ``(N, K, 3)`` ground-truth joints, same unit as ``pred``.
        mask: ``(N, K)`` boolean, True for the joints to score; None scores all.

    Returns:
        The mean error after the best per-sample similarity transform, in the
        unit of the inputs.
    """
    return mpjpe(pred, gt, mask, alignment='procrustes')


def pve(pred_vertices: Array, gt_vertices: Array) -> float:
    """Mean per-vertex Euclidean error (no alignment).

    Args:
        pred_vertices: ``(N, V, 3)`` predicted mesh vertices.
        gt_vertices: ``(N, V, 3)`` ground-truth vertices, same unit and topology.

    Returns:
        The mean distance over all vertices of all samples, in the inputs' unit.

    Raises:
        ValueError: The shapes disagree or are not ``(N, V, 3)``, or hold no vertex.
    """
    pred_np = _as_float64('pred_vertices', pred_vertices)
    gt_np = _as_float64('gt_vertices', gt_vertices)
    _check_points('pred_vertices', pred_np, 'gt_vertices', gt_np)
    if pred_np.size == 0:
        raise ValueError(f'pred_vertices of shape {pred_np.shape} holds no vertex to score')
    return float(_point_distances(pred_np, gt_np).mean())


def pck(pred: Array, gt: Array, threshold: float, mask: Optional[Array] = None,
        alignment: str = 'none') -> float:
    """Percentage of correct keypoints: joints closer than ``threshold`` to the ground truth.

    A joint counts as correct when its error is strictly below ``threshold``
    (mmhuman3d's ``keypoint_3d_pck``; MPI-INF-3DHP reports it at 150 mm).

    Args:
        pred: ``(N, K, 3)`` predicted joints.
        gt: ``(N, K, 3)`` ground-truth joints, same unit as ``pred``.
        threshold: Distance in the unit of the inputs.
        mask: ``(N, K)`` boolean, True for the joints to score; None scores all.
        alignment: ``'none'``, ``'scale'`` or ``'procrustes'`` (fitted per sample).

    Returns:
        The percentage (0-100) of masked joints within ``threshold``.

    Raises:
        ValueError: ``threshold`` is negative, shapes disagree or the mask is empty.
    """
    return pck_curve(pred, gt, (threshold, ), mask, alignment)[0]


def pck_curve(pred: Array, gt: Array, thresholds: Sequence[float], mask: Optional[Array] = None,
              alignment: str = 'none') -> np.ndarray:
    """:func:`pck` at each of ``thresholds`` (the alignment is fitted once).

    Returns:
        ``(T,)`` float64 percentages, one per threshold.
    """
    thresholds = np.asarray(thresholds, dtype=np.float64).reshape(-1)
    if thresholds.size == 0 or (thresholds < 0).any():
        raise ValueError(f'thresholds must be non-empty and >= 0, got {thresholds.tolist()}')
    errors = per_joint_errors(pred, gt, alignment)
    scored = errors[_visible_mask(mask, errors.shape)]
    return 100.0 * (scored[None, :] < thresholds[:, None]).mean(axis=1)


def auc(pred: Array, gt: Array, thresholds: Sequence[float] = AUC_THRESHOLDS_MM,
        mask: Optional[Array] = None, alignment: str = 'none') -> float:
    """Area under the PCK curve: the mean of :func:`pck_curve` over ``thresholds``.

    The default thresholds are MPI-INF-3DHP's, in millimetres (0, 5, ..., 150):
    pass inputs in mm or thresholds in the inputs' unit.

    Returns:
        The mean percentage (0-100).
    """
    return float(pck_curve(pred, gt, thresholds, mask, alignment).mean())


def h36m_action(image_name: str) -> str:
    """The Human3.6M action of an image named as SPIN's h36m.py names it.

    ``S9_Directions_1.54138969_000001.jpg`` -> ``Directions``; the take
    number is dropped and the two spellings some subjects use are merged
    (``TakingPhoto`` -> ``Photo``, ``WalkingDog`` -> ``WalkDog``).

    Args:
        image_name: The ``imgname`` entry (a folder prefix is ignored).

    Returns:
        The action name.

    Raises:
        ValueError: The name does not follow ``S<subject>_<action>[_<take>].<camera>_<frame>.<ext>``.
    """
    base = osp.basename(str(image_name))
    match = _H36M_IMAGE_NAME.match(base)
    if match is None:
        raise ValueError(f'{image_name!r} is not a Human3.6M image name of the form '
                         f'S<subject>_<action>[_<take>].<camera>_<frame>.jpg '
                         f'(e.g. S9_Directions_1.54138969_000001.jpg)')
    action = match.group('action').replace(' ', '_')
    return _H36M_ACTION_ALIASES.get(action, action)
