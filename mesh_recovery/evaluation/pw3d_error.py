"""The 3DPW protocol (MPJPE, MPJPE-PA, PVE on SMPL-posed ground truth), as an mmengine metric."""
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine.evaluator import BaseMetric

from mesh_recovery.body_models.model_files import SMPL_DIR
from mesh_recovery.conventions import H36M_REGRESSOR_17, JOINT_ERROR_14, ROOT_JOINTS
from mesh_recovery.registry import METRICS
from mesh_recovery.utils.asset_needs import FileNeed

from .functional import per_joint_errors
from .mesh_eval_body import MeshEvalBody, gendered_model_needs, regressor_need, sample_field


@METRICS.register_module()
class PW3DError(BaseMetric):
    """3DPW's MPJPE, MPJPE-PA and PVE (mm), with the ground truth posed from SMPL parameters.

    Per batch: the ground-truth mesh is the SMPL model of each sample's gender
    (``gender`` 0 male / 1 female) posed with ``gt_pose`` (72,) and
    ``gt_betas`` (10,); the predicted mesh is the prediction's ``vertices``
    or the neutral model posed with ``smpl_pose`` / ``smpl_beta``. Both are
    passed through the same regressor (Human3.6M's 17 joints by default), the
    scored joints (the 14 LSP joints) are taken from it and each skeleton and
    mesh is shifted by its own root (the mid-hip). ``MPJPE`` and
    ``MPJPE-PA`` (per-sample Procrustes) are means over all scored joints,
    ``PVE`` the mean vertex distance after the root shift. Inputs in metres,
    results in millimetres. Only per-sample errors are kept between batches.

    Args:
        smpl_path: Directory of ``SMPL_NEUTRAL.pkl``, ``SMPL_MALE.pkl`` and
            ``SMPL_FEMALE.pkl`` (a file is enough with ``gt_gender='neutral'``).
        regressor: ``(K, V)`` regressor ``.npy``; None for
            ``J_regressor_h36m.npy`` beside the model.
        regressor_order: Names of the regressor's rows, or an order's name (``'spin_24'``).
        joint_names: Scored joints.
        root_names: Joints whose mean is the root.
        gt_gender: ``'gendered'`` (SPIN's 3DPW protocol) or ``'neutral'``.
        device: Device of the body-model passes (None: CUDA when available).
        collect_device: mmengine's cross-rank collection device.
        prefix: Prefix of the metric names.
        collect_dir: Folder for CPU collection.
    """

    default_prefix: Optional[str] = None

    @classmethod
    def needed_files(cls, smpl_path: str = SMPL_DIR, regressor: Optional[str] = None, gt_gender: str = 'gendered',
                     **kwargs) -> List[FileNeed]:
        """The gendered models (``gt_gender='gendered'``) and the regressor a metric built so reads."""
        needs = gendered_model_needs(smpl_path, 'the 3DPW protocol (PW3DError, gt_gender=gendered)') \
            if gt_gender == 'gendered' else []
        return needs + [regressor_need(smpl_path, regressor)]

    def __init__(self, smpl_path: str = SMPL_DIR, regressor: Optional[str] = None,
                 regressor_order: Union[str, Sequence[str]] = H36M_REGRESSOR_17,
                 joint_names: Sequence[str] = JOINT_ERROR_14, root_names: Sequence[str] = ROOT_JOINTS,
                 gt_gender: str = 'gendered', device: Optional[str] = None, collect_device: str = 'cpu',
                 prefix: Optional[str] = None, collect_dir: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, collect_dir=collect_dir)
        self.body = MeshEvalBody(smpl_path, regressor, regressor_order, gt_gender, '3DPW', device)
        self.joint_names, self.root_names = tuple(joint_names), tuple(root_names)
        self.body.indices(self.joint_names + self.root_names)  # fail at build time on unknown names

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Score one batch: keep each sample's MPJPE, MPJPE-PA and PVE (metres).

        Args:
            data_batch: The loader's batch; ``gt_pose``, ``gt_betas`` and
                ``gender`` are read from its ``data_samples`` unless the
                predictions carry them.
            data_samples: The estimator's predictions (``vertices`` or
                ``smpl_pose`` + ``smpl_beta``).
        """
        if not data_samples:
            return
        gt_vertices = self.body.gt_vertices(sample_field(data_batch, data_samples, 'gt_pose', 'PW3DError'),
                                            sample_field(data_batch, data_samples, 'gt_betas', 'PW3DError'),
                                            sample_field(data_batch, data_samples, 'gender', 'PW3DError'))
        pred_vertices = self.body.pred_vertices(data_samples)
        if pred_vertices.shape != gt_vertices.shape:
            raise ValueError(f'PW3DError: predicted vertices {tuple(pred_vertices.shape)} and ground truth '
                             f'{tuple(gt_vertices.shape)} differ; predict with the same body model')
        pred_3d, pred_v = self.body.centred(pred_vertices, self.joint_names, self.root_names)
        gt_3d, gt_v = self.body.centred(gt_vertices, self.joint_names, self.root_names)
        pve = (pred_v - gt_v).norm(dim=-1).mean(dim=-1)
        pred_np, gt_np = pred_3d.double().cpu().numpy(), gt_3d.double().cpu().numpy()
        self.results.append({
            'mpjpe': per_joint_errors(pred_np, gt_np).mean(axis=1),
            'mpjpe_pa': per_joint_errors(pred_np, gt_np, 'procrustes').mean(axis=1),
            'pve': pve.double().cpu().numpy(),
        })

    def compute_metrics(self, results: List[Dict[str, np.ndarray]]) -> Dict[str, float]:
        """Mean MPJPE, MPJPE-PA and PVE (mm) over all samples.

        Raises:
            ValueError: No sample was gathered.
        """
        if not results:
            raise ValueError('PW3DError received no samples: nothing to evaluate')
        merged = {k: np.concatenate([r[k] for r in results]) for k in ('mpjpe', 'mpjpe_pa', 'pve')}
        return {'MPJPE': 1000.0 * float(merged['mpjpe'].mean()),
                'MPJPE-PA': 1000.0 * float(merged['mpjpe_pa'].mean()),
                'PVE': 1000.0 * float(merged['pve'].mean())}
