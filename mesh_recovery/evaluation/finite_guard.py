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
