"""Human3.6M joint error broken down by action, as an mmengine metric."""
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
from mmengine.logging import print_log

from mesh_recovery.conventions import JOINT_ERROR_14, ROOT_JOINTS, SPIN_24
from mesh_recovery.datasets.spin_annotations import load_npz_arrays
from mesh_recovery.registry import METRICS
from mesh_recovery.utils.asset_needs import FileNeed

from .functional import h36m_action, per_joint_errors
from .joint_error import JointError, _field


@METRICS.register_module()
class H36MActionError(JointError):
    """:class:`JointError` on Human3.6M plus ``MPJPE/<action>`` and ``MPJPE-PA/<action>``.

    The action of each sample is parsed from its image name in ``ann_file``
    (``S9_Directions_1.54138969_000001.jpg`` -> ``Directions``), looked up by
    the prediction's ``sample_idx``; give the same file as the dataset and no
    ``indices`` subset. Per-action figures average over the visible joints of
    that action's samples; the overall ``MPJPE`` / ``MPJPE-PA`` are
    :class:`JointError`'s. A table is logged.

    Args:
        ann_file: The dataset's annotation file (``h36m_valid_protocol{1,2}.npz``).
        joint_names: See :class:`JointError`.
        root_names: See :class:`JointError`.
        keypoint_order: See :class:`JointError`.
        collect_device: See :class:`JointError`.
        prefix: See :class:`JointError`.
        collect_dir: See :class:`JointError`.
    """

    @classmethod
    def needed_files(cls, ann_file: str = '', **kwargs) -> List[FileNeed]:
        """The dataset's annotation file, whose image names give the actions."""
        return [FileNeed('annotation', str(ann_file), check='file')] if ann_file else []

    def __init__(self, ann_file: str, joint_names: Sequence[str] = JOINT_ERROR_14,
                 root_names: Sequence[str] = ROOT_JOINTS, keypoint_order: Sequence[str] = SPIN_24,
                 collect_device: str = 'cpu', prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(joint_names, root_names, keypoint_order, collect_device, prefix, collect_dir)
        names = load_npz_arrays(ann_file, ('imgname', ))['imgname']
        self.ann_file = ann_file
        self.actions = np.array([h36m_action(n) for n in names.astype(str)])

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """:meth:`JointError.process`, plus each sample's action."""
        start = len(self.results)
        super().process(data_batch, data_samples)
        for result, sample in zip(self.results[start:], data_samples):
            index = int(np.asarray(_field(sample, 'sample_idx')))
            if not 0 <= index < len(self.actions):
                raise IndexError(f'sample_idx {index} is outside {self.ann_file} ({len(self.actions)} '
                                 f'samples): the metric must read the dataset\'s own annotation file')
            result['action'] = self.actions[index]

    def compute_metrics(self, results: List[Dict[str, Any]]) -> Dict[str, float]:
        """Overall and per-action MPJPE / MPJPE-PA (mm); logs the per-action table."""
        metrics = super().compute_metrics(results)
        pred = np.stack([r['pred_keypoints_3d'] for r in results])
        gt = np.stack([r['gt_keypoints_3d'] for r in results])
        visible = np.stack([r['gt_visible'] for r in results])
        actions = np.array([r['action'] for r in results])
        pred = pred - pred[:, self.root_indices].mean(axis=1, keepdims=True)
        gt = gt - gt[:, self.root_indices].mean(axis=1, keepdims=True)
        errors = {'MPJPE': per_joint_errors(pred, gt), 'MPJPE-PA': per_joint_errors(pred, gt, 'procrustes')}
        rows = []
        for action in sorted(set(actions.tolist())):
            keep = actions == action
            if not visible[keep].any():
                continue
            row = [action, int(keep.sum())]
            for key, err in errors.items():
                metrics[f'{key}/{action}'] = 1000.0 * float(err[keep][visible[keep]].mean())
                row.append(metrics[f'{key}/{action}'])
            rows.append(row)
        print_log('Human3.6M by action (mm):\n' + format_action_table(rows), logger='current')
        return metrics


def format_action_table(rows: List[list]) -> str:
    """``action  samples  MPJPE  MPJPE-PA`` lines for ``[action, count, mpjpe, mpjpe_pa]`` rows."""
    width = max([len('action')] + [len(r[0]) for r in rows])
    lines = [f'{"action":<{width}}  {"samples":>7}  {"MPJPE":>8}  {"MPJPE-PA":>8}']
    lines += [f'{a:<{width}}  {n:>7d}  {m:>8.2f}  {p:>8.2f}' for a, n, m, p in rows]
    return '\n'.join(lines)
