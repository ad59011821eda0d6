"""PA-MPJPE: the batched implementation against a per-sample numpy loop.

Both compute PA-MPJPE over the same seeded random batch (100,000 samples x 14
joints, predictions = a random similarity transform of the ground truth plus
noise). The baseline is the textbook per-sample loop (one ``np.linalg.svd``
per sample, as mmpose 0.x did). The two results must agree to 1e-6.

Run: ``python benchmarks/bench_pa_mpjpe.py [--samples N] [--repeats R]``.
The last line is ``RESULT pa_mpjpe_speedup=X`` (baseline time / batched time).
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np

# Runnable from a source checkout without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mesh_recovery.evaluation.functional import pa_mpjpe  # noqa: E402


def loop_pa_mpjpe(pred: np.ndarray, gt: np.ndarray) -> float:
    """Baseline: Procrustes-align one sample at a time, then average the errors."""
    errors = np.empty(pred.shape[:2])
    for i in range(pred.shape[0]):
        src, tgt = pred[i], gt[i]
        src_mean, tgt_mean = src.mean(axis=0), tgt.mean(axis=0)
        src_c, tgt_c = src - src_mean, tgt - tgt_mean
        u, _, vh = np.linalg.svd(src_c.T @ tgt_c)
        correction = np.eye(3)
        correction[2, 2] = np.sign(np.linalg.det(vh.T @ u.T))
        rotation = vh.T @ correction @ u.T
        scale = np.trace(rotation @ src_c.T @ tgt_c) / np.sum(src_c**2)
        aligned = scale * src_c @ rotation.T + tgt_mean
        errors[i] = np.linalg.norm(aligned - tgt, axis=-1)
    return float(errors.mean())


def make_batch(num_samples: int, num_joints: int, seed: int):
    """Random ground truth (metres) and a noisy, similarity-transformed prediction."""
    rng = np.random.default_rng(seed)
    gt = rng.normal(scale=0.3, size=(num_samples, num_joints, 3))
    quat = rng.normal(size=(num_samples, 4))
    w, x, y, z = (quat / np.linalg.norm(quat, axis=1, keepdims=True)).T
    rotation = np.stack([
        1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
        2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
        2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], axis=1).reshape(-1, 3, 3)
    scale = rng.uniform(0.5, 2.0, size=(num_samples, 1, 1))
    shift = rng.normal(size=(num_samples, 1, 3))
    noise = rng.normal(scale=0.05, size=gt.shape)
    pred = scale * (gt + noise) @ rotation.transpose(0, 2, 1) + shift
    return pred, gt


def best_time(fn, repeats: int):
    times, value = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - start)
    return min(times), value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--samples', type=int, default=100_000)
    parser.add_argument('--joints', type=int, default=14)
    parser.add_argument('--repeats', type=int, default=3, help='batched runs (best is kept)')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()

    pred, gt = make_batch(args.samples, args.joints, args.seed)
    print(f'PA-MPJPE over {args.samples} samples x {args.joints} joints (float64, numpy '
          f'{np.__version__})')
    loop_time, loop_value = best_time(lambda: loop_pa_mpjpe(pred, gt), 1)
    batched_time, batched_value = best_time(lambda: pa_mpjpe(pred, gt), args.repeats)
    difference = abs(batched_value - loop_value)
    print(f'per-sample loop: {loop_time:.3f} s (1 run)  value {loop_value:.12f}')
    print(f'batched:         {batched_time:.3f} s (best of {args.repeats})  value {batched_value:.12f}')
    print(f'|difference| = {difference:.3e} (tolerance 1e-6): '
          f'{"equal" if difference <= 1e-6 else "NOT EQUAL"}')
    if difference > 1e-6:
        raise SystemExit(f'batched PA-MPJPE {batched_value} differs from the loop {loop_value}')
    print(f'RESULT pa_mpjpe_speedup={loop_time / batched_time:.1f}')


if __name__ == '__main__':
    main()
