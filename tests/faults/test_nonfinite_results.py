"""Item 4: a NaN prediction or ground truth never becomes a printed metric with exit status 0."""
import numpy as np
import pytest
from mmengine.evaluator import Evaluator
from mmengine.registry import DefaultScope

import mesh_recovery.evaluation  # noqa: F401  (registers the metrics)
from mesh_recovery.evaluation.finite_guard import NonFiniteResultsError, check_test_results


def _samples(num=6, nan_at=(), gt_nan_at=()):
    rng = np.random.default_rng(0)
    samples = []
    for i in range(num):
        gt_3d = np.concatenate([rng.normal(size=(24, 3)), np.ones((24, 1))], axis=1)
        pred_3d = gt_3d[:, :3] + 0.01 * (i + 1)  # a constant offset: removed by root centring
        pred_3d[0] += 0.1
        if i in nan_at:
            pred_3d[5, 1] = np.nan
        if i in gt_nan_at:
            gt_3d[2, 0] = np.inf
        samples.append(dict(keypoints_3d=pred_3d, gt_keypoints_3d=gt_3d, sample_idx=np.int64(100 + i)))
    return samples


def _evaluate(samples, exclude):
    with DefaultScope.overwrite_default_scope('mesh_recovery'):
        evaluator = Evaluator([dict(type='FiniteGuard', exclude=exclude), dict(type='JointError')])
    evaluator.process(samples[:3])
    evaluator.process(samples[3:])
    metrics = evaluator.evaluate(len(samples))
    return metrics, evaluator.metrics[0]


def test_nan_samples_are_named_and_stop_the_test():
    metrics, guard = _evaluate(_samples(nan_at=(1, ), gt_nan_at=(4, )), exclude=False)
    with pytest.raises(NonFiniteResultsError) as info:
        check_test_results(metrics, guard)
    message = str(info.value)
    assert '2 test samples' in message and '101: keypoints_3d' in message and '104: gt_keypoints_3d' in message
    assert '--exclude-nonfinite' in message


def test_excluded_samples_leave_the_metrics_of_the_others():
    clean, _ = _evaluate(_samples(num=4), exclude=False)
    mixed, guard = _evaluate(_samples(num=4) + _samples(num=6, nan_at=(4, 5))[4:], exclude=True)
    result = check_test_results(mixed, guard)
    assert 'nonfinite_samples' not in result
    assert result['MPJPE'] == pytest.approx(check_test_results(clean, None)['MPJPE'])
    assert np.isfinite(result['MPJPE']) and result['MPJPE'] > 0


def test_a_nan_metric_is_an_error_even_without_the_guard():
    with pytest.raises(NonFiniteResultsError, match="'MPJPE'"):
        check_test_results({'MPJPE': float('nan'), 'MPJPE-PA': 50.0}, None)
