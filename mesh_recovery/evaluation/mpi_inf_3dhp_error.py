"""The MPI-INF-3DHP protocol (PCK, AUC, MPJPE and their Procrustes-aligned forms), as an mmengine metric."""
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine.evaluator import BaseMetric

from mesh_recovery.conventions import (H36M_REGRESSOR_17, MPI_INF_3DHP_17, PELVIS_ROOT, SPIN_24,
                                       joint_indices)
from mesh_recovery.registry import METRICS
from mesh_recovery.utils.asset_needs import FileNeed

from .functional import AUC_THRESHOLDS_MM, per_joint_errors
from .joint_error import GT_KEY, PRED_KEY, _field, _to_numpy
from .mesh_eval_body import MeshEvalBody, regressor_need

PRED_SOURCES = ('keypoints_3d', 'h36m_regressor')


@METRICS.register_module()
class MPIINF3DHPError(BaseMetric):
    """MPI-INF-3DHP's 17-joint PCK@150 mm and AUC, MPJPE and MPJPE-PA (mm), plain and aligned.

    Ground truth: the 17 protocol joints of ``gt_keypoints_3d`` (SPIN-24
    slots, metres, confidence 0 leaves a joint out), centred on their root
    (the pelvis). Prediction: either the model's SPIN-24 ``keypoints_3d``
    (``pred_source='keypoints_3d'``) or, as SPIN scores it, the Human3.6M
    regressor applied to the predicted mesh (``'h36m_regressor'``), centred
    on its own root. ``PCK`` counts joints with error strictly below
    ``pck_threshold``; ``AUC`` is the mean PCK over ``auc_thresholds``
    (0, 5, ..., 150 mm, the official script's); the ``PA-`` forms are the
    same after a per-sample Procrustes alignment.

    Args:
        pred_source: Where the predicted joints come from (see above).
        smpl_path: Body model for ``'h36m_regressor'`` (predicted mesh from
            ``smpl_pose`` / ``smpl_beta`` when ``vertices`` are absent).
        regressor: Regressor ``.npy`` for ``'h36m_regressor'`` (None: beside the model).
        regressor_order: Names of the regressor's rows, or an order's name (``'spin_24'``).
        joint_names: Scored joints, SPIN-24 names.
        root_names: Root joints.
        pck_threshold: Threshold of ``PCK`` in mm.
        auc_thresholds: Thresholds of ``AUC`` in mm.
        device: Device of the body-model pass (None: CUDA when available).
        collect_device: mmengine's cross-rank collection device.
        prefix: Prefix of the metric names.
        collect_dir: Folder for CPU collection.
    """

    default_prefix: Optional[str] = None

    @classmethod
    def needed_files(cls, pred_source: str = 'keypoints_3d', smpl_path: Optional[str] = None,
                     regressor: Optional[str] = None, **kwargs) -> List[FileNeed]:
        """The regressor of the ``'h36m_regressor'`` source (nothing for ``'keypoints_3d'``)."""
        return [regressor_need(smpl_path, regressor)] if pred_source == 'h36m_regressor' and smpl_path else []

    def __init__(self, pred_source: str = 'keypoints_3d', smpl_path: Optional[str] = None,
                 regressor: Optional[str] = None, regressor_order: Union[str, Sequence[str]] = H36M_REGRESSOR_17,
                 joint_names: Sequence[str] = MPI_INF_3DHP_17, root_names: Sequence[str] = PELVIS_ROOT,
                 pck_threshold: float = 150.0, auc_thresholds: Sequence[float] = AUC_THRESHOLDS_MM,
                 device: Optional[str] = None, collect_device: str = 'cpu', prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, collect_dir=collect_dir)
        if pred_source not in PRED_SOURCES:
            raise ValueError(f'pred_source must be one of {PRED_SOURCES}, got {pred_source!r}')
        self.pred_source = pred_source
        self.gt_indices = joint_indices(joint_names, SPIN_24)
        self.gt_root = joint_indices(root_names, SPIN_24)
        self.body = None
        if pred_source == 'h36m_regressor':
            if smpl_path is None:
                raise ValueError("pred_source='h36m_regressor' needs smpl_path (the neutral body model)")
            self.body = MeshEvalBody(smpl_path, regressor, regressor_order, 'neutral', 'MPI-INF-3DHP', device)
            self.pred_indices = self.body.indices(joint_names)
            self.pred_root = self.body.indices(root_names)
        else:
            self.pred_indices, self.pred_root = self.gt_indices, self.gt_root
        self.pck_threshold = float(pck_threshold)
        self.auc_thresholds = np.asarray(auc_thresholds, dtype=np.float64)

    def _predicted_joints(self, data_samples: Sequence[Any]) -> np.ndarray:
        if self.body is not None:
            return self.body.regress(self.body.pred_vertices(data_samples)).double().cpu().numpy()
        return np.stack([_to_numpy(_field(s, PRED_KEY)) for s in data_samples])

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Keep the root-centred scored joints of each sample (metres) and their visibility."""
        if not data_samples:
            return
        pred = self._predicted_joints(data_samples)
        gt = np.stack([_to_numpy(_field(s, GT_KEY)) for s in data_samples])
        if gt.shape[1:] != (len(SPIN_24), 4):
            raise ValueError(f'MPIINF3DHPError expects {GT_KEY!r} of shape (24, 4), got {gt.shape[1:]}')
        self.results.append({
            'pred': pred[:, self.pred_indices] - pred[:, self.pred_root].mean(axis=1, keepdims=True),
            'gt': gt[:, self.gt_indices, :3] - gt[:, self.gt_root, :3].mean(axis=1, keepdims=True),
            'visible': gt[:, self.gt_indices, 3] > 0,
        })

    def compute_metrics(self, results: List[Dict[str, np.ndarray]]) -> Dict[str, float]:
        """MPJPE, MPJPE-PA, PCK, AUC, PA-PCK, PA-AUC over all visible joints of all samples.

        Raises:
            ValueError: No sample was gathered, or no joint is visible.
        """
        if not results:
            raise ValueError('MPIINF3DHPError received no samples: nothing to evaluate')
        pred = 1000.0 * np.concatenate([r['pred'] for r in results])
        gt = 1000.0 * np.concatenate([r['gt'] for r in results])
        visible = np.concatenate([r['visible'] for r in results])
        if not visible.any():
            raise ValueError('MPIINF3DHPError: no ground-truth joint is visible (all confidences are 0)')
        metrics = {}
        for tag, alignment in (('', 'none'), ('PA-', 'procrustes')):
            errors = per_joint_errors(pred, gt, alignment)[visible]
            metrics['MPJPE' + ('-PA' if tag else '')] = float(errors.mean())
            metrics[tag + 'PCK'] = 100.0 * float((errors < self.pck_threshold).mean())
            metrics[tag + 'AUC'] = 100.0 * float((errors[None] < self.auc_thresholds[:, None]).mean())
        return metrics
