"""3DPW protocol cost: the whole PW3DError evaluation against the bare SMPL passes it needs.

The protocol (``mesh_recovery.evaluation.PW3DError``) is run on precomputed
predictions (predicted rotation matrices and betas, as the estimator returns
them) for the size of SPIN's 3DPW test set (35,515 frames): per batch it poses
the prediction with the neutral model and the ground truth with each sample's
gendered model, regresses the Human3.6M joints of both meshes, centres them on
the mid-hip, and keeps MPJPE, PA-MPJPE and PVE per sample; ``compute_metrics``
then averages. The reference is the two body-model forward passes alone
(neutral on the predictions, gendered on the ground truth) on the same
batches, with the same model object. Protocol and reference alternate batch by
batch so that load from other processes hits both alike; totals are summed.

Models: ``models/smpl`` when it holds SMPL_NEUTRAL/MALE/FEMALE.pkl and
J_regressor_h36m.npy, else synthetic models with SMPL's sizes (6890 vertices,
dense posedirs, 4 skinning influences per vertex) and a random (17, 6890)
regressor.

Run: ``python benchmarks/bench_eval.py [--frames 35515] [--batch 64] [--threads N]``.
The last line is ``RESULT eval_over_smpl=X`` (protocol time / bare SMPL time; target <= 1.5).
"""
import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / 'tests' / 'body_models'))
from mesh_recovery.evaluation import PW3DError  # noqa: E402
from mesh_recovery.geometry.rotation import axis_angle_to_matrix  # noqa: E402

PW3D_TEST_FRAMES = 35515


def model_folder(tmp_dir: str) -> str:
    """``models/smpl`` if it has everything the protocol reads, else synthetic SMPL-sized models."""
    real = ROOT / 'models' / 'smpl'
    needed = ('SMPL_NEUTRAL.pkl', 'SMPL_MALE.pkl', 'SMPL_FEMALE.pkl', 'J_regressor_h36m.npy')
    if all((real / name).is_file() for name in needed):
        return str(real)
    from synthetic_smpl import make_smpl_arrays, write_official_pickle
    folder = Path(tmp_dir)
    # One random model with shifted templates: the genders differ, the cost is SMPL's.
    for gender, offset in (('NEUTRAL', 0.0), ('MALE', 0.01), ('FEMALE', -0.01)):
        write_official_pickle(folder / f'SMPL_{gender}.pkl',
                              make_smpl_arrays(num_vertices=6890, seed=0, template_offset=offset))
    rng = np.random.default_rng(0)
    regressor = rng.random((17, 6890)) * (rng.random((17, 6890)) < 0.01)
    np.save(folder / 'J_regressor_h36m.npy', regressor / regressor.sum(1, keepdims=True))
    return str(folder)


def make_batches(frames: int, batch: int, seed: int = 0) -> list:
    """Per batch: the loader's data_batch (GT pose, betas, gender) and the per-sample predictions."""
    rng = np.random.default_rng(seed)
    batches = []
    for start in range(0, frames, batch):
        size = min(batch, frames - start)
        gt_pose = torch.as_tensor(rng.normal(0, 0.3, (size, 72)), dtype=torch.float32)
        gt_betas = torch.as_tensor(rng.normal(0, 1, (size, 10)), dtype=torch.float32)
        gender = torch.as_tensor(rng.integers(0, 2, size))
        pred_rotmat = axis_angle_to_matrix(gt_pose.reshape(size, 24, 3) + 0.1 * torch.randn(size, 24, 3)).numpy()
        pred_betas = (gt_betas + 0.3 * torch.randn(size, 10)).numpy()
        predictions = [{'smpl_pose': pred_rotmat[i], 'smpl_beta': pred_betas[i]} for i in range(size)]
        batches.append(({'data_samples': {'gt_pose': gt_pose, 'gt_betas': gt_betas, 'gender': gender}},
                         predictions, torch.from_numpy(pred_rotmat), torch.from_numpy(pred_betas)))
    return batches


def run(metric: PW3DError, batches: list) -> tuple:
    """Seconds of the protocol and of the bare passes, alternating per batch; and the metrics."""
    body = metric.body.body
    protocol = bare = 0.0
    for data_batch, predictions, pred_rotmat, pred_betas in batches:
        samples = data_batch['data_samples']
        start = time.perf_counter()
        with torch.no_grad():
            body(betas=pred_betas, pose=pred_rotmat)
            body(betas=samples['gt_betas'], pose=samples['gt_pose'], gender=samples['gender'])
        middle = time.perf_counter()
        metric.process(data_batch, predictions)
        protocol += time.perf_counter() - middle
        bare += middle - start
    start = time.perf_counter()
    metrics = metric.compute_metrics(metric.results)
    protocol += time.perf_counter() - start
    return protocol, bare, metrics


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--frames', type=int, default=PW3D_TEST_FRAMES)
    parser.add_argument('--batch', type=int, default=64)
    parser.add_argument('--threads', type=int, default=0, help='torch threads (0: torch default)')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp_dir:
        folder = model_folder(tmp_dir)
        metric = PW3DError(folder, device='cpu')
        print(f'models: {folder}; frames {args.frames}, batch {args.batch}, threads {torch.get_num_threads()}')
        run(metric, make_batches(4 * args.batch, args.batch, seed=1))  # warm-up (allocations, kernel probes)
        metric.results.clear()
        batches = make_batches(args.frames, args.batch)
        protocol, bare, metrics = run(metric, batches)
    print('metrics: ' + ', '.join(f'{k} {v:.2f}' for k, v in metrics.items()))
    print(f'protocol (PW3DError.process + compute_metrics): {protocol:.2f} s '
          f'({1e6 * protocol / args.frames:.0f} us/frame)')
    print(f'bare SMPL passes (neutral predictions + gendered ground truth): {bare:.2f} s '
          f'({1e6 * bare / args.frames:.0f} us/frame)')
    print(f'RESULT eval_over_smpl={protocol / bare:.3f}')


if __name__ == '__main__':
    main()
