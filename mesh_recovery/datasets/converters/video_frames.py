"""Frame extraction from videos: one sequential pass, atomic JPEG writes, resumable, parallel.

A video is decoded once, front to back: frames that are not wanted are only
grabbed (``VideoCapture.grab``), wanted ones retrieved and JPEG-encoded with
OpenCV's defaults (quality 95, as ``cv2.imwrite`` in SPIN's scripts). Each JPEG
is written to a temporary name next to its target and renamed, so an
interrupted run never leaves a half-written image under a final name. When a
video is done, a small state file records what was written; a rerun skips
every video whose state matches the frames asked for.
"""
import json
import os
import os.path as osp
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import cv2

from mesh_recovery.utils.atomic import atomic_write_bytes
from mesh_recovery.utils.errors import BadFileError, MissingFileError

from .progress_bar import ProgressBar

STATE_DIR = '.extraction_state'


@dataclass
class FrameJob:
    """The frames to take from one video.

    Attributes:
        video: Video file.
        frames: 0-based frame index -> output JPEG path.
        state: State file written when the video is done (resume marker).
        quality: JPEG quality.
        required: Frames the annotation file needs (a converter checks they were written).
        written: Frames written (set by ``extract_all``).
    """
    video: str
    frames: Dict[int, str]
    state: str
    quality: int = 95
    required: List[int] = field(default_factory=list)
    written: List[int] = field(default_factory=list)


def state_path(image_root: str, key: str) -> str:
    """Where the resume marker of video ``key`` lives under ``image_root``."""
    safe = key.replace(os.sep, '__').replace('/', '__').replace(' ', '_')
    return osp.join(image_root, STATE_DIR, safe + '.json')


def write_jpeg(path: str, image, quality: int = 95) -> None:
    """Encode ``image`` (BGR) as JPEG and move it under ``path`` in one rename."""
    ok, data = cv2.imencode('.jpg', image, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise BadFileError(f'OpenCV could not encode a frame for {path}')
    directory = osp.dirname(path)
    # A fixed temporary name: a rerun after a kill overwrites and renames the leftover, so none stays.
    tmp = osp.join(directory, f'.{osp.basename(path)}.tmp')
    try:
        with open(tmp, 'wb') as f:
            f.write(data.tobytes())
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def _state_matches(job: FrameJob) -> Optional[List[int]]:
    """The frames a finished earlier run wrote for this job, or None if it must be (re)done."""
    try:
        with open(job.state, encoding='utf-8') as f:
            state = json.load(f)
    except (OSError, ValueError):
        return None
    stat = os.stat(job.video)
    wanted = sorted(job.frames)
    if state.get('wanted') != wanted or state.get('video_size') != stat.st_size:
        return None
    written = state.get('written', [])
    if not all(osp.isfile(job.frames[i]) for i in written if i in job.frames):
        return None
    return written


def extract(job: FrameJob, progress: bool = False) -> List[int]:
    """Write the wanted frames of ``job.video``; return the indices written (frames past the end are not).

    Reading stops after the last wanted frame. A finished job (matching state
    file) is not redone; a job without wanted frames does not open its video.
    """
    if not job.frames:
        return []
    if not osp.isfile(job.video):
        raise MissingFileError(f'video not found: {job.video}; check --root and the raw layout in '
                               'docs/data_preparation.md')
    done = _state_matches(job)
    if done is not None:
        return done
    capture = cv2.VideoCapture(job.video)
    if not capture.isOpened():
        raise BadFileError(f'OpenCV cannot open the video {job.video}; expected a readable video file '
                           '(re-download it, or check that OpenCV was built with FFmpeg)')
    for directory in {osp.dirname(p) for p in job.frames.values()}:
        os.makedirs(directory, exist_ok=True)
    last = max(job.frames) if job.frames else -1
    bar = ProgressBar(len(job.frames), f'  {osp.basename(job.video)}', progress)
    written = []
    try:
        for index in range(last + 1):
            if not capture.grab():
                break
            if index in job.frames:
                ok, image = capture.retrieve()
                if not ok:
                    break
                write_jpeg(job.frames[index], image, job.quality)
                written.append(index)
                bar.update()
    finally:
        capture.release()
    if progress:
        bar.close()
    state = {'video': job.video, 'video_size': os.stat(job.video).st_size, 'wanted': sorted(job.frames),
             'written': written}
    atomic_write_bytes(json.dumps(state).encode('utf-8'), job.state)
    return written


def _extract_quiet(job: FrameJob) -> List[int]:
    return extract(job, progress=False)


def extract_all(jobs: Sequence[FrameJob], workers: int = 1, progress: bool = True,
                desc: str = 'videos') -> List[List[int]]:
    """Run ``jobs`` (one per video) on ``workers`` processes; returns each job's written frames, in order.

    With one worker each video also gets its own progress bar; with several,
    only the per-dataset bar is drawn (bars of parallel videos would overwrite
    each other).
    """
    bar = ProgressBar(len(jobs), desc, progress)
    results: List[List[int]] = []
    if workers <= 1:
        for job in jobs:
            results.append(extract(job, progress))
            bar.update()
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for written in pool.map(_extract_quiet, jobs):
                results.append(written)
                bar.update()
    bar.close()
    for job, written in zip(jobs, results):
        job.written = list(written)
    return results
