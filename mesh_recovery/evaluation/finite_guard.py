"""A metric that finds the test samples whose predictions or ground truth are not finite.

mmengine averages whatever the metrics receive, so one NaN prediction turns a
whole table into ``nan`` with exit status 0. ``tools/test.py`` puts this metric
first in the evaluator: it looks at every floating-point array of every sample
before the other metrics do, and either lets ``tools/test.py`` stop with the
samples named, or (``exclude=True``) removes those samples from what the other
metrics see, so they score the finite ones only.
"""
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from mesh_recovery.registry import METRICS
from mesh_recovery.utils.errors import UserError

COUNT_KEY = 'nonfinite_samples'


def _nonfinite_fields(sample: Any) -> List[str]:
    items = sample.items() if isinstance(sample, dict) else []
    bad = []
    for key, value in items:
        if isinstance(value, torch.Tensor):
            value = value.detach().cpu().numpy()
        if isinstance(value, (np.ndarray, float, np.floating)):
            array = np.asarray(value)
            if array.dtype.kind == 'f' and not np.isfinite(array).all():
                bad.append(str(key))
    return bad


@METRICS.register_module()
class FiniteGuard(BaseMetric):
    """Count (and optionally drop) samples with NaN or infinite values.

    Args:
        exclude: Remove the affected samples from the batch the later metrics
            of the same evaluator see (with a warning giving the count), instead
            of reporting them as an error.
        collect_device: As for every mmengine metric.

    The metric's result is ``{'nonfinite_samples': count}``; ``bad_samples``
    holds ``(sample_idx, [fields])`` of each affected sample on the rank that
    computes the metrics.
    """

    default_prefix: Optional[str] = None

    def __init__(self, exclude: bool = False, collect_device: str = 'cpu') -> None:
        super().__init__(collect_device=collect_device)
        self.exclude = exclude
        self.bad_samples: List[tuple] = []

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        keep = []
        for position, sample in enumerate(data_samples):
            fields = _nonfinite_fields(sample)
            if fields:
                index = sample.get('sample_idx', position) if isinstance(sample, dict) else position
                self.results.append({'sample_idx': int(np.asarray(index)), 'fields': fields})
            else:
                keep.append(sample)
        if self.exclude and len(keep) != len(data_samples) and isinstance(data_samples, list):
            # The evaluator hands the same list to every metric, in order: later ones see only ``keep``.
            data_samples[:] = keep

    def compute_metrics(self, results: List[Dict[str, Any]]) -> Dict[str, int]:
        self.bad_samples = [(r['sample_idx'], r['fields']) for r in results]
        if results and self.exclude:
            print_log(f'FiniteGuard: excluded {len(results)} samples with NaN or infinite values from the '
                      f'metrics (first sample indices {[r["sample_idx"] for r in results[:10]]})',
                      logger='current', level=30)
        return {COUNT_KEY: len(results)}


class NonFiniteResultsError(UserError):
    """Predictions or ground truth of some test samples are NaN or infinite."""


def _describe(index: int, fields: List[str], dataset: Any) -> str:
    name = ''
    try:
        info = dataset.get_data_info(index) if dataset is not None else {}
        name = str(info.get('img_path') or info.get('imgname') or '')
    except Exception:  # a dataset without per-index info: the index alone still names the sample
        name = ''
    return f'{index}' + (f' ({name})' if name else '') + f': {", ".join(fields)}'


def check_test_results(metrics: Dict[str, Any], guard: Optional['FiniteGuard'], dataset: Any = None) -> Dict[str, Any]:
    """Refuse test results that hide non-finite samples or are themselves NaN.

    Args:
        metrics: What ``runner.test()`` returned.
        guard: The evaluator's :class:`FiniteGuard` (None if it has none).
        dataset: The test dataset, to name the samples' images.

    Returns:
        ``metrics`` without the guard's count (when nothing is wrong, or the
        samples were excluded on purpose).

    Raises:
        NonFiniteResultsError: Non-finite samples that were not excluded, or a
            metric that is NaN / infinite.
    """
    metrics = dict(metrics)
    count = int(metrics.pop(COUNT_KEY, 0) or 0)
    if count and guard is not None and not guard.exclude:
        shown = '\n  '.join(_describe(i, f, dataset) for i, f in guard.bad_samples[:10])
        raise NonFiniteResultsError(
            f'{count} test samples have NaN or infinite predictions or ground truth (sample index: fields):\n  '
            f'{shown}{chr(10) + "  ..." if count > 10 else ""}\nNo metrics are reported. Check those annotations '
            'and the checkpoint, or pass --exclude-nonfinite to score the other samples.')
    bad = {k: v for k, v in metrics.items() if isinstance(v, (float, np.floating)) and not np.isfinite(v)}
    if bad:
        raise NonFiniteResultsError(f'the metrics {sorted(bad)} are not finite ({bad}); no sample was scorable '
                                    '(e.g. every ground-truth joint is invisible) or a metric failed')
    return metrics
