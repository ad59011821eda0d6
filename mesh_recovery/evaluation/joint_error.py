"""The ``joint_error`` metric of mmpose 0.x mesh recovery, as an mmengine metric."""
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric

from mesh_recovery.conventions import JOINT_ERROR_14, ROOT_JOINTS, SPIN_24, joint_indices
from mesh_recovery.registry import METRICS

from .functional import mpjpe

PRED_KEY = 'keypoints_3d'
GT_KEY = 'gt_keypoints_3d'


def _field(sample: Any, key: str) -> Any:
    """Read ``key`` from a dict or an attribute-style data sample."""
    if isinstance(sample, dict):
        if key in sample:
            return sample[key]
        present = sorted(sample)
    else:
        if hasattr(sample, key):
            return getattr(sample, key)
        present = sorted(sample.keys()) if hasattr(sample, 'keys') else sorted(getattr(sample, '__dict__', {}))
    raise KeyError(f'JointError needs {key!r} in every data sample; this one '
                   f'({type(sample).__name__}) has only {present}')


def _batch_field(data_batch: Any, key: str) -> Any:
    """``data_batch['data_samples'][key]`` (batched, ``(B, ...)``) when the loader's batch has it, else None."""
    samples = data_batch.get('data_samples') if isinstance(data_batch, dict) else None
    return samples.get(key) if isinstance(samples, dict) else None


def _to_numpy(value: Any) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=np.float64)


@METRICS.register_module()
class JointError(BaseMetric):
    """3D joint error of mmpose's ``--eval=joint_error`` (MPJPE and PA-MPJPE, in mm).

    For each sample, the scored joints (default: the 14 joints SPIN-24
    ``[0..12, 18]``) are taken from the prediction and from the ground truth;
    each is centred on its own root (default: the mid-hip, the mean of the
    right and left hips); joints whose ground-truth visibility is 0 are left
    out. ``MPJPE`` is the mean Euclidean error over all visible joints of all
    samples; ``MPJPE-PA`` is the same after a per-sample similarity
    (Procrustes) alignment of the prediction, fitted on all scored joints.
    Inputs are in metres; results are reported in millimetres.

    The estimator's prediction for each sample must be a dict (or a data
    element) holding ``'keypoints_3d'``, the ``(J, 3)`` predicted joints in
    ``keypoint_order`` (metres). The ground truth, ``(J, 4)`` joints
    ``(x, y, z, visibility)`` (``S`` in SPIN files, metres), is read from the
    loader's batch (``gt_keypoints_3d``); called without a batch, the metric
    reads it from each prediction's ``'gt_keypoints_3d'`` instead.

    Args:
        joint_names: Names of the joints to score, in ``keypoint_order``'s naming.
        root_names: Joints whose mean is the root; must be among ``joint_names``.
        keypoint_order: The joint order of the predicted and ground-truth arrays.
        collect_device: Device used to gather results across ranks (``'cpu'``
            or ``'gpu'``).
        prefix: Prefix of the metric names in the returned dict; None for the
            plain ``'MPJPE'`` / ``'MPJPE-PA'``.
        collect_dir: Folder for cross-rank collection on the CPU; None for a
            temporary folder.
    """

    default_prefix: Optional[str] = None

    def __init__(self,
                 joint_names: Sequence[str] = JOINT_ERROR_14,
                 root_names: Sequence[str] = ROOT_JOINTS,
                 keypoint_order: Sequence[str] = SPIN_24,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, collect_dir=collect_dir)
        if not joint_names:
            raise ValueError('joint_names is empty: JointError needs at least one joint to score')
        self.num_keypoints = len(keypoint_order)
        self.joint_indices: List[int] = joint_indices(joint_names, keypoint_order)
        if not root_names:
            raise ValueError('root_names is empty: JointError needs at least one root joint')
        try:
            self.root_indices: List[int] = joint_indices(root_names, joint_names)
        except KeyError as err:
            raise ValueError(f'root_names {list(root_names)} must all be among joint_names '
                             f'{list(joint_names)}') from err

    def _read(self, sample: Any, key: str, width: int) -> np.ndarray:
        return self._check(_to_numpy(_field(sample, key)), key, width)

    def _check(self, value: np.ndarray, key: str, width: int) -> np.ndarray:
        expected = (self.num_keypoints, width)
        if value.shape != expected:
            raise ValueError(f'JointError expects {key!r} of shape {expected} (joints in '
                             f'keypoint_order), got {value.shape}')
        return value

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Store the scored joints of each sample of a batch.

        Args:
            data_batch: The batch from the data loader; its
                ``data_samples['gt_keypoints_3d']`` ``(B, J, 4)`` (metres) is
                the ground truth.
            data_samples: The estimator's predictions, one per sample, each
                with ``'keypoints_3d'`` ``(J, 3)``; only where the batch has no
                ground truth (a metric called on its own, mmpose style) is it
                read from ``'gt_keypoints_3d'`` ``(J, 4)`` of each prediction.

        Raises:
            KeyError: A sample lacks one of the two keys (the message lists
                the keys it has).
            ValueError: An array has the wrong shape.
        """
        batch_gt = _batch_field(data_batch, GT_KEY)
        for index, sample in enumerate(data_samples):
            pred_3d = self._read(sample, PRED_KEY, 3)
            gt_3d = self._read(sample, GT_KEY, 4) if batch_gt is None else self._check(_to_numpy(batch_gt[index]),
                                                                                      GT_KEY, 4)
            self.results.append({
                'pred_keypoints_3d': pred_3d[self.joint_indices],
                'gt_keypoints_3d': gt_3d[self.joint_indices, :3],
                'gt_visible': gt_3d[self.joint_indices, 3] > 0,
            })

    def compute_metrics(self, results: List[Dict[str, np.ndarray]]) -> Dict[str, float]:
        """Compute MPJPE and MPJPE-PA (mm) over all gathered samples.

        Raises:
            ValueError: No sample was gathered, or no scored joint is visible.
        """
        if not results:
            raise ValueError('JointError received no samples: nothing to evaluate')
        pred_3d = np.stack([r['pred_keypoints_3d'] for r in results])
        gt_3d = np.stack([r['gt_keypoints_3d'] for r in results])
        visible = np.stack([r['gt_visible'] for r in results])
        # Each skeleton is centred on its own root so global translation is not scored.
        pred_3d = pred_3d - pred_3d[:, self.root_indices].mean(axis=1, keepdims=True)
        gt_3d = gt_3d - gt_3d[:, self.root_indices].mean(axis=1, keepdims=True)
        return {
            'MPJPE': 1000.0 * mpjpe(pred_3d, gt_3d, visible),
            'MPJPE-PA': 1000.0 * mpjpe(pred_3d, gt_3d, visible, alignment='procrustes'),
        }
