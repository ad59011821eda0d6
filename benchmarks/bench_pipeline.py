"""Speed of the training data pipeline, per DataLoader worker, against a bare JPEG decode.

One worker's work per sample is measured through the full training dataset stack of
the HMR recipe: ``MeshAdversarialDataset(MeshMixDataset(...), MoshDataset)`` with the
mmpose train pipeline (load, channel noise, flip, scale/rotation, affine crop to 224,
packing) and ``EpochAwareSampler``-style indices. The baseline, timed in the same run on
the same files, alternating sample by sample, is a bare ``cv2.imread`` (the floor any
pipeline pays). Both run with OpenCV threading off, as in a DataLoader worker under
mmengine's ``env_cfg.mp_cfg.opencv_num_threads=0``, and with glibc's allocator tuned by
``mesh_recovery.datasets.allocator.tune_malloc_for_images`` (``--malloc tuned``, the
default): with glibc's defaults the pipeline, which frees the decoded image before the
next decode, page-faults ~1,400 times per 1000x1000 sample where the bare loop does not.
A second process repeats the large-JPEG case with glibc's defaults for comparison.

Sources:
- large: 64 generated 1000x1002 JPEGs (the size of Human3.6M's frames), or real images
  given with ``--large-ann FILE --large-img-dir DIR`` (a SPIN-format annotation file and
  its image folder, e.g. the four Human3.6M test images of mmpose 0.x's test data, the
  annotations tiled 16 times).
- synthetic: generated JPEGs of 240-360 px, the size range of the built-in synthetic set.

Then a 2-worker DataLoader feeds a CPU training step (torchvision ResNet-50, the HMR
backbone, forward + backward + SGD at 224 px after ``ImgDataPreprocessor``), and the
time the step loop waits for data is reported.

Usage: python benchmarks/bench_pipeline.py [--rounds 7] [--per-round 40] [--train-batch 8]
    [--train-iters 4] [--skip-train] [--malloc {tuned,default}] [--only-large]
    [--large-ann FILE --large-img-dir DIR]
Last line: ``RESULT pipeline_over_decode=X`` (large JPEGs; target X <= 1.3).
"""
import os

for _var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ.setdefault(_var, '2')

import argparse  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Dict, List, Optional, Tuple  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from mesh_recovery.datasets import EpochAwareSampler, EpochIndex, MeshAdversarialDataset  # noqa: E402
from mesh_recovery.datasets.allocator import tune_malloc_for_images  # noqa: E402

# The recommended order: channel noise on the 224 px crop (see MeshRandomChannelNoise).
TRAIN_PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='MeshRandomFlip', flip_prob=0.5),
    dict(type='MeshGetRandomScaleRotation', rot_factor=30, scale_factor=0.25),
    dict(type='MeshAffine', img_res=224),
    dict(type='MeshRandomChannelNoise', noise_factor=0.4),
    dict(type='PackMeshInputs'),
]
# mmpose 0.x's order: channel noise on the full source image.
MMPOSE_ORDER_PIPELINE = [TRAIN_PIPELINE[0], TRAIN_PIPELINE[4]] + TRAIN_PIPELINE[1:4] + [TRAIN_PIPELINE[5]]


def _textured_image(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """Smooth colour gradients, blobs and sensor-like noise (compresses like a photo)."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    img = np.stack([127 + 100 * np.sin(x / rng.uniform(20, 90) + c) * np.cos(y / rng.uniform(20, 90))
                    for c in range(3)], -1)
    for _ in range(8):
        centre = (int(rng.integers(width)), int(rng.integers(height)))
        axes = (int(rng.integers(10, width // 3)), int(rng.integers(10, height // 3)))
        cv2.ellipse(img, centre, axes, float(rng.uniform(0, 180)), 0, 360, rng.uniform(0, 255, 3).tolist(), -1)
    img += rng.normal(0, 6, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def write_source(directory: Path, sizes: List[Tuple[int, int]], seed: int) -> Path:
    """JPEGs of the given (width, height) and a SPIN-format annotation file for them."""
    rng = np.random.default_rng(seed)
    names = []
    for i, (width, height) in enumerate(sizes):
        names.append(f'img_{i:03d}.jpg')
        cv2.imwrite(str(directory / names[-1]), _textured_image(rng, width, height),
                    [cv2.IMWRITE_JPEG_QUALITY, 90])
    num = len(sizes)
    wh = np.array(sizes, np.float64)
    ann_file = directory / 'annotations.npz'
    np.savez(ann_file, imgname=np.array(names), center=wh / 2, scale=wh.min(1) * 0.8 / 200,
             part=np.concatenate([rng.uniform(0.3, 0.7, (num, 24, 2)) * wh[:, None], np.ones((num, 24, 1))], -1),
             S=np.concatenate([rng.normal(0, 0.3, (num, 24, 3)), np.ones((num, 24, 1))], -1),
             pose=rng.normal(0, 0.2, (num, 72)), shape=rng.normal(0, 1, (num, 10)), has_smpl=np.ones(num))
    return ann_file


def tile_annotations(ann_file: Path, out_file: Path, repeats: int) -> Path:
    """The samples of ``ann_file`` repeated (enough indices for DataLoader batches)."""
    with np.load(ann_file) as ann:
        np.savez(out_file, **{k: np.concatenate([ann[k]] * repeats) for k in ann.files})
    return out_file


def build_dataset(ann_file: Path, img_prefix: Path, mosh_file: Path,
                  pipeline: List[dict] = TRAIN_PIPELINE) -> MeshAdversarialDataset:
    """The recipe's training stack over one source (partition 1.0)."""
    return MeshAdversarialDataset(
        train_dataset=dict(type='MeshMixDataset', partition=[1.0],
                           configs=[dict(ann_file=str(ann_file), img_prefix=str(img_prefix),
                                         pipeline=pipeline)]),
        adversarial_dataset=dict(type='MoshDataset', ann_file=str(mosh_file)))


def _minor_faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def compare_with_decode(dataset: MeshAdversarialDataset, rounds: int, per_round: int) -> Dict[str, float]:
    """Per-sample seconds and page faults of the pipeline and of cv2.imread (medians over rounds).

    Each round alternates sample by sample: one pipeline sample, then a bare
    decode of the same file, ``per_round`` times; the ratio is taken per
    round. Alternating this finely makes load from other processes on the
    shared machine, which comes and goes within a fraction of a second, hit
    both alike. Times are this process's CPU time (what a worker spends per
    sample; wall time on a shared 2-core machine mostly measures the other
    processes); wall-clock ratios are reported alongside.
    """
    mix = dataset.train_dataset
    stats: Dict[str, List[float]] = {'pipeline_s': [], 'decode_s': [], 'ratio': [], 'wall_ratio': [],
                                     'pipeline_faults': [], 'decode_faults': []}
    for epoch in range(rounds + 1):  # round 0 warms caches and imports
        indices = [EpochIndex(i % len(dataset), epoch) for i in range(per_round)]
        paths = [mix.get_data_info(index)['img_path'] for index in indices]
        totals = dict.fromkeys(('pipeline_s', 'decode_s', 'pipeline_wall', 'decode_wall', 'pipeline_faults',
                                'decode_faults'), 0.0)
        for index, path in zip(indices, paths):
            for phase in ('pipeline', 'decode'):
                faults, start, wall = _minor_faults(), time.process_time(), time.perf_counter()
                if phase == 'pipeline':
                    sample = dataset[index]
                else:
                    img = cv2.imread(path)
                totals[f'{phase}_s'] += time.process_time() - start
                totals[f'{phase}_wall'] += time.perf_counter() - wall
                totals[f'{phase}_faults'] += _minor_faults() - faults
        assert sample['inputs'].shape == (3, 224, 224) and img is not None
        if epoch:
            for key in ('pipeline_s', 'decode_s', 'pipeline_faults', 'decode_faults'):
                stats[key].append(totals[key] / per_round)
            stats['ratio'].append(totals['pipeline_s'] / totals['decode_s'])
            stats['wall_ratio'].append(totals['pipeline_wall'] / totals['decode_wall'])
    return {key: statistics.median(values) for key, values in stats.items()}


def _report(name: str, result: Dict[str, float], description: str) -> None:
    print(f"{name:20s} pipeline {1e3 * result['pipeline_s']:5.2f} ms/sample CPU ({1 / result['pipeline_s']:4.0f}/s "
          f"per worker, {result['pipeline_faults']:4.0f} page faults), cv2.imread {1e3 * result['decode_s']:5.2f} "
          f"ms ({result['decode_faults']:4.0f} faults), ratio {result['ratio']:.3f} (wall clock "
          f"{result['wall_ratio']:.3f})  [{description}]")


def train_with_loader(dataset: MeshAdversarialDataset, batch: int, iters: int) -> dict:
    """Run a ResNet-50 CPU training step on batches from a 2-worker DataLoader."""
    import torchvision
    from mmengine.dataset import default_collate
    from mmengine.model import ImgDataPreprocessor
    from torch.utils.data import DataLoader

    torch.set_num_threads(2)
    model = torchvision.models.resnet50(num_classes=85)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-4)
    preprocessor = ImgDataPreprocessor(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
                                       bgr_to_rgb=True)

    def step(data: dict) -> None:
        inputs = preprocessor(data, training=True)['inputs']
        target = data['data_samples']['mosh_theta']
        loss = torch.nn.functional.mse_loss(model(inputs), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    sampler = EpochAwareSampler(dataset, shuffle=True, seed=0)
    loader = DataLoader(dataset, batch_size=batch, sampler=sampler, num_workers=2, collate_fn=default_collate,
                        persistent_workers=True, drop_last=True)
    iterator = iter(loader)
    step(next(iterator))  # warm-up: worker start, allocator, first backward
    waits, steps = [], []
    for _ in range(iters):
        start = time.perf_counter()
        try:
            data = next(iterator)
        except StopIteration:
            sampler.set_epoch(sampler.epoch + 1)
            iterator = iter(loader)
            data = next(iterator)
        waits.append(time.perf_counter() - start)
        start = time.perf_counter()
        step(data)
        steps.append(time.perf_counter() - start)
    return {'wait_s': sum(waits) / iters, 'step_s': sum(steps) / iters}


def _sources(tmp: Path, rng: np.random.Generator, large_ann: Optional[Path],
             large_img_dir: Optional[Path]) -> Dict[str, tuple]:
    """(annotation file, image folder, description) of the large and synthetic sources."""
    if large_ann is not None:
        large = (tile_annotations(large_ann, tmp / 'large_x16.npz', 16), large_img_dir,
                 f'{large_ann.name} images (annotations tiled 16x)')
    else:
        (tmp / 'large').mkdir()
        large = (write_source(tmp / 'large', [(1000, 1002)] * 64, seed=1), tmp / 'large',
                 'generated JPEGs 1000x1002')
    (tmp / 'synthetic').mkdir()
    sizes = [tuple(int(v) for v in rng.integers(240, 361, 2)) for _ in range(32)]
    synthetic = (write_source(tmp / 'synthetic', sizes, seed=2), tmp / 'synthetic', 'generated JPEGs 240-360 px')
    return {'large': large, 'synthetic': synthetic}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--rounds', type=int, default=7)
    parser.add_argument('--per-round', type=int, default=40)
    parser.add_argument('--train-batch', type=int, default=8)
    parser.add_argument('--train-iters', type=int, default=4)
    parser.add_argument('--skip-train', action='store_true')
    parser.add_argument('--malloc', choices=('tuned', 'default'), default='tuned')
    parser.add_argument('--only-large', action='store_true', help='only the large-JPEG case (no headline)')
    parser.add_argument('--large-ann', type=Path, default=None,
                        help='SPIN-format annotation file of real large images (default: generated JPEGs)')
    parser.add_argument('--large-img-dir', type=Path, default=None, help='image folder of --large-ann')
    args = parser.parse_args()
    if (args.large_ann is None) != (args.large_img_dir is None):
        parser.error('--large-ann and --large-img-dir go together (an annotation file and its image folder)')
    if args.large_ann is not None and not args.large_ann.is_file():
        parser.error(f'--large-ann {args.large_ann}: no such file')
    if args.malloc == 'tuned' and not tune_malloc_for_images():
        print('note: not glibc, allocator left as it is')
    cv2.setNumThreads(0)

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        rng = np.random.default_rng(0)
        mosh_file = tmp / 'mosh.npz'
        np.savez(mosh_file, pose=rng.normal(0, 0.2, (64, 72)), shape=rng.normal(0, 1, (64, 10)))
        sources = _sources(tmp, rng, args.large_ann, args.large_img_dir)
        large = build_dataset(*sources['large'][:2], mosh_file)
        cases = [('large', large, sources['large'][2])]
        if not args.only_large:
            cases += [('large, mmpose order', build_dataset(*sources['large'][:2], mosh_file, MMPOSE_ORDER_PIPELINE),
                       sources['large'][2] + '; noise before the crop'),
                      ('synthetic', build_dataset(*sources['synthetic'][:2], mosh_file), sources['synthetic'][2])]
        results = {}
        for name, dataset, description in cases:
            results[name] = compare_with_decode(dataset, args.rounds, args.per_round)
            _report(name if args.malloc == 'tuned' else name + ', glibc malloc', results[name], description)
        if args.only_large:
            return
        command = [sys.executable, __file__, '--malloc', 'default', '--only-large', '--rounds', str(args.rounds),
                   '--per-round', str(args.per_round)]
        if args.large_ann is not None:
            command += ['--large-ann', str(args.large_ann), '--large-img-dir', str(args.large_img_dir)]
        print(subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip())

        if not args.skip_train:
            timing = train_with_loader(large, args.train_batch, args.train_iters)
            train_rate = args.train_batch / timing['step_s']
            keeps_up = timing['wait_s'] < 0.05 * timing['step_s']
            print(f'2-worker DataLoader + ResNet-50 CPU train step (batch {args.train_batch}, large JPEGs): '
                  f"step {timing['step_s']:.2f} s ({train_rate:.1f} img/s), waiting for data "
                  f"{1e3 * timing['wait_s']:.1f} ms/iter ({100 * timing['wait_s'] / timing['step_s']:.1f}% of "
                  f"the step) -> {'keeps up' if keeps_up else 'does NOT keep up'}")
    print(f"RESULT pipeline_over_decode={results['large']['ratio']:.3f}")


if __name__ == '__main__':
    main()
