"""The ``--eval`` names of ``tools/test.py`` and the metric each one builds.

mmpose 0.x knew one name, ``joint_error``. The protocols added here take
their arguments (body model folder, annotation file) from the config: from
its ``test_evaluator`` entry of the same type when there is one, otherwise
from the model's body model and the test dataset.
"""
import copy
import os.path as osp
from typing import Dict, List, Sequence

from mesh_recovery.body_models.model_files import smpl_file_name

# name -> (metric type, prefix used when several metrics are evaluated together).
EVAL_METRICS: Dict[str, tuple] = {
    'joint_error': ('JointError', 'h36m'),
    'per_action': ('H36MActionError', 'h36m_action'),
    'pve': ('PW3DError', 'pw3d'),
    'pck': ('MPIINF3DHPError', '3dhp'),
    'auc': ('MPIINF3DHPError', '3dhp'),
}
EVAL_NAMES = tuple(sorted(EVAL_METRICS))


def evaluator_list(evaluators) -> List[dict]:
    """An evaluator config (one dict or a list of them) as a list of dicts."""
    if not evaluators:
        return []
    return [dict(e) for e in evaluators] if isinstance(evaluators, (list, tuple)) else [dict(evaluators)]


def _test_ann_file(cfg) -> str:
    dataset = cfg.get('test_dataloader', {}).get('dataset', {})
    if 'ann_file' not in dataset:
        raise ValueError("--eval per_action needs test_dataloader.dataset.ann_file (the Human3.6M file whose "
                         "image names give the actions)")
    root = dataset.get('data_root') or ''
    return osp.join(root, dataset['ann_file']) if root and not osp.isabs(dataset['ann_file']) else dataset['ann_file']


def _default_args(metric_type: str, cfg) -> dict:
    if metric_type == 'H36MActionError':
        return dict(ann_file=_test_ann_file(cfg))
    if metric_type == 'PW3DError':
        smpl = cfg.get('model', {}).get('smpl', {})
        if not smpl.get('smpl_path'):
            raise ValueError(f'--eval pve needs model.smpl.smpl_path (the folder with {smpl_file_name("male")} '
                             f'and {smpl_file_name("female")}), or a PW3DError entry in test_evaluator')
        return dict(smpl_path=smpl['smpl_path'])
    return {}


def eval_metric_configs(names: Sequence[str], cfg) -> List[dict]:
    """Metric configs for ``--eval`` names, in order, one per metric type.

    Args:
        names: ``--eval`` names (each a key of ``EVAL_METRICS``).
        cfg: The test config (read only).

    Returns:
        One metric config per distinct type; when there are several, all
        but the first get a prefix (``pw3d/MPJPE``) so their keys cannot clash.

    Raises:
        KeyError: A name is unknown (the message lists the known ones).
    """
    unknown = [n for n in names if n not in EVAL_METRICS]
    if unknown:
        raise KeyError(f'unknown --eval names {unknown}; valid: {list(EVAL_NAMES)}')
    configured = {e.get('type'): e for e in evaluator_list(cfg.get('test_evaluator'))}
    metrics, seen = [], set()
    for name in names:
        metric_type, prefix = EVAL_METRICS[name]
        if metric_type in seen:
            continue
        seen.add(metric_type)
        metric = copy.deepcopy(configured.get(metric_type)) or dict(type=metric_type, **_default_args(metric_type, cfg))
        if metrics and not metric.get('prefix'):
            metric['prefix'] = prefix
        metrics.append(metric)
    return metrics
