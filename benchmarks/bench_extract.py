"""Speed of the converters' frame extraction against a bare OpenCV loop.

A video is generated (textured frames with motion, MPEG-4 Part 2, ``--width`` x
``--height``, ``--frames`` frames; Human3.6M's test videos are 1000x1002 MPEG-4).
Two extractions of every 5th frame (Human3.6M's sampling) are timed, alternating
round by round on the same file:

- ours: ``mesh_recovery.datasets.converters.video_frames.extract`` (one
  sequential pass; skipped frames grabbed, kept ones retrieved, JPEG-encoded and
  renamed into place; resume state written at the end);
- bare: ``VideoCapture.read`` of every frame and ``cv2.imwrite`` of the kept ones,
  what SPIN's ``h36m.py`` does.

Both write into fresh folders each round. The figure is the ratio of the medians.

Usage: python benchmarks/bench_extract.py [--rounds 5] [--frames 250] [--width 1000] [--height 1002]
Last line: ``RESULT extract_over_bare=X`` (target X <= 1.1).
"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from mesh_recovery.datasets.converters.video_frames import FrameJob, extract  # noqa: E402

STEP = 5


def write_video(path: Path, frames: int, width: int, height: int, seed: int = 0) -> None:
    """Smooth gradients with a moving blob and noise (inter-frame coding has work to do)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([127 + 90 * np.sin(x / 37 + c) * np.cos(y / 53) for c in range(3)], -1)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'mp4v'), 50, (width, height))
    if not writer.isOpened():
        raise SystemExit(f'OpenCV cannot write {path} (mp4v)')
    for k in range(frames):
        img = base.copy()
        cv2.circle(img, (int(width * (0.2 + 0.6 * k / frames)), height // 2), height // 6, (40, 200, 90), -1)
        img += rng.normal(0, 4, img.shape).astype(np.float32)
        writer.write(np.clip(img, 0, 255).astype(np.uint8))
    writer.release()


def bare(video: Path, out: Path, frames: int) -> int:
    capture = cv2.VideoCapture(str(video))
    written = 0
    for k in range(frames):
        ok, image = capture.read()
        if not ok:
            break
        if k % STEP == 0:
            cv2.imwrite(str(out / f'frame_{k + 1:06d}.jpg'), image)
            written += 1
    capture.release()
    return written


def ours(video: Path, out: Path, frames: int) -> int:
    wanted = {k: str(out / f'frame_{k + 1:06d}.jpg') for k in range(0, frames, STEP)}
    return len(extract(FrameJob(str(video), wanted, str(out / '.state.json'))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--frames', type=int, default=250)
    parser.add_argument('--width', type=int, default=1000)
    parser.add_argument('--height', type=int, default=1002)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        video = tmp / 'video.mp4'
        write_video(video, args.frames, args.width, args.height)
        times = {'ours': [], 'bare': []}
        for round_ in range(args.rounds):
            order = (('ours', ours), ('bare', bare)) if round_ % 2 == 0 else (('bare', bare), ('ours', ours))
            for name, fn in order:
                out = tmp / f'{name}_{round_}'
                out.mkdir()
                start = time.perf_counter()
                count = fn(video, out, args.frames)
                times[name].append(time.perf_counter() - start)
                shutil.rmtree(out)
            assert count == len(range(0, args.frames, STEP)), count
        for name, values in times.items():
            print(f'{name}: median {statistics.median(values):.3f} s, min {min(values):.3f} s over {args.rounds} '
                  f'rounds ({args.frames} frames {args.width}x{args.height}, every {STEP}th written)')
        ratio = statistics.median(times['ours']) / statistics.median(times['bare'])
        print(f'cpu count {os.cpu_count()}')
        print(f'RESULT extract_over_bare={ratio:.3f}')


if __name__ == '__main__':
    main()
