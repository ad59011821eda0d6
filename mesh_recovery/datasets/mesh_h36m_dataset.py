"""Human3.6M evaluation set of mmpose 0.x mesh recovery."""
from typing import Any, Dict, Sequence

from mesh_recovery.registry import DATASETS, METRICS

from .mesh_base_dataset import MeshBaseDataset

# The mmpose 0.x metric names this set supports; the metric each builds is in
# mesh_recovery.evaluation.eval_names.EVAL_METRICS (the one ``--eval`` name map).
SUPPORTED_METRICS = ('joint_error', )


@DATASETS.register_module()
class MeshH36MDataset(MeshBaseDataset):
    """Human3.6M test set (``h36m_valid_protocol{1,2}.npz``: imgname, center, scale, S).

    The same samples as :class:`MeshBaseDataset`; it is scored with the
    ``joint_error`` metric (:class:`mesh_recovery.evaluation.JointError`: MPJPE
    and MPJPE-PA in mm over the 14 joints of docs/conventions.md, evaluation joints). ``metainfo`` names it
    under ``'default_evaluator'`` so configs and tools can build it, and
    :meth:`evaluate` runs it directly on a list of predictions (the mmpose
    0.x ``dataset.evaluate`` entry point).

    Takes the arguments of :class:`MeshBaseDataset`.
    """

    METAINFO: dict = dict(
        MeshBaseDataset.METAINFO, dataset_name='h36m', default_evaluator=dict(type='JointError'))

    def evaluate(self, results: Sequence[Any], metric: str = 'joint_error') -> Dict[str, float]:
        """Score predictions with an mmpose 0.x metric name.

        Args:
            results: One prediction per sample, each with ``'keypoints_3d'``
                (24, 3) metres and ``'gt_keypoints_3d'`` (24, 4) (what the
                estimator's ``test_step`` returns).
            metric: ``'joint_error'`` (mmpose's only metric for this set).

        Returns:
            ``{'MPJPE': mm, 'MPJPE-PA': mm}``.

        Raises:
            KeyError: ``metric`` is not supported.
        """
        # Imported here: evaluation imports datasets, so a module-level import would be a cycle.
        from mesh_recovery.evaluation.eval_names import EVAL_METRICS
        if metric not in SUPPORTED_METRICS:
            raise KeyError(f'metric {metric!r} is not supported by {type(self).__name__}; '
                           f'supported: {sorted(SUPPORTED_METRICS)}')
        evaluator = METRICS.build(dict(type=EVAL_METRICS[metric][0]))
        evaluator.dataset_meta = self.metainfo
        evaluator.process([], list(results))
        return evaluator.compute_metrics(evaluator.results)
