"""Human3.6M -> test files ``h36m_valid_protocol{1,2}.npz`` / ``h36m_train.npz`` and their frames.

Reproduces nkolot/SPIN ``datasets/preprocess/h36m.py`` (test: S9, S11) and
``h36m_train.py`` (train: S1, S5, S6, S7, S8; that script does not run as
written, its evident intent is followed). Per subject, the sorted
``MyPoseFeatures/D3_Positions_mono/*.cdf`` sequences (``_ALL`` skipped), every
5th frame (0-based index % 5 == 0, named 1-based); 3D joints in metres, 17 of the
32 mocap joints in SPIN-24 slots, root-centred on the pelvis, computed in the
CDF's own float type as SPIN does; box from the ground-truth mask
(``MySegmentsMat/ground_truth_bb/*.mat``, MATLAB v7.3): centre of the mask box,
``scale = 0.9 * longer side / 200``. Protocol 2 keeps the frontal camera only.

SPIN quirk kept by default (the images must pair with mmpose's files): ``h36m.py``
reads one video frame before its loop, so the image named for frame *i* holds
video frame *i* + 1, and protocol 1 stops one frame before the video's end (the
last sampled frame is lost when it is the video's last). Protocol 2 is written
by SPIN without reading the videos, so it keeps every sampled frame.
``corrected``: frame *i*'s image is video frame *i*, and both protocols keep the
frames the video has. The training split has no offset.
"""
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import numpy as np

from mesh_recovery.conventions.keypoints import H36M_REGRESSOR_17, SPIN_24, joint_indices
from mesh_recovery.utils.errors import BadFileError

from ..annotation_format import H36M_TEST_KEYS
from .common import check_shape, open_h5, require_dir, require_file, save_annotations, sorted_glob
from .convert_options import ConvertOptions
from .joint_names import H36M_32
from .progress_bar import track
from .video_frames import FrameJob, extract_all, state_path

DATASET = 'Human3.6M'
SUBJECTS = {'test': (9, 11), 'train': (1, 5, 6, 7, 8)}
FRONTAL_CAMERA = '60457274'
STEP = 5
MASK_BOX_FACTOR = 0.9
DEFAULT_IMAGES = {'test': 'data/Human3.6M', 'train': 'data/h36m_train'}


@dataclass
class Sequence:
    """One (subject, action, camera) recording and its frame plan.

    Attributes:
        subject: e.g. ``S9``.
        name: File stem, e.g. ``Directions 1.54138969``.
        action: Action with spaces as underscores, e.g. ``Directions_1``.
        camera: Camera id, e.g. ``54138969``.
        poses_3d: (N, 96) D3_Positions_mono, millimetres (the file's float type).
        poses_2d: (N, 64) D2_Positions, pixels (train only).
        frames: Sampled pose index -> (video frame index, image path relative to the image root).
    """
    subject: str
    name: str
    action: str
    camera: str
    poses_3d: np.ndarray
    poses_2d: Optional[np.ndarray]
    frames: Dict[int, Tuple[int, str]]


def read_cdf_pose(path: str, width: int) -> np.ndarray:
    """The ``Pose`` variable of a Human3.6M CDF file as (N, width), in the file's float type."""
    import cdflib
    require_file(path, 'pose file', DATASET)
    try:
        pose = np.asarray(cdflib.CDF(path).varget('Pose'))
    except Exception as exc:  # cdflib raises many kinds on a bad file
        raise BadFileError(f'{DATASET}: cannot read the variable Pose of {path} ({type(exc).__name__}: '
                           f'{exc}); expected an original Human3.6M .cdf file') from exc
    if pose.ndim == 3 and pose.shape[0] == 1:
        pose = pose[0]
    return check_shape(pose, (None, width), path, 'Pose', DATASET)


def _image_name(subject: str, action: str, camera: str, frame: int, split: str) -> str:
    name = f'{subject}_{action}.{camera}_{frame + 1:06d}.jpg'
    return f'images/{name}' if split == 'test' else f'{subject}/{subject}_{action}.{camera}/{name}'


def find_sequences(root: str, split: str, corrected: bool) -> List[Sequence]:
    """Every sequence of the split's subjects, in SPIN's order, with its sampled frames."""
    offset = 1 if split == 'test' and not corrected else 0
    sequences = []
    for number in SUBJECTS[split]:
        subject = f'S{number}'
        pose_dir = require_dir(osp.join(root, subject, 'MyPoseFeatures', 'D3_Positions_mono'),
                               'D3_Positions_mono folder', DATASET)
        for path in sorted_glob(osp.join(pose_dir, '*.cdf'), 'D3_Positions_mono .cdf file', DATASET):
            parts = osp.basename(path).split('.')
            if len(parts) != 3:
                raise BadFileError(f'{DATASET}: unexpected pose file name {path}; expected '
                                   '"<Action> <n>.<camera>.cdf" as in the original release')
            action, camera = parts[0].replace(' ', '_'), parts[1]
            if action == '_ALL':
                continue
            poses_3d = read_cdf_pose(path, 96)
            poses_2d = None
            if split == 'train':
                pose2d = osp.join(root, subject, 'MyPoseFeatures', 'D2_Positions', osp.basename(path))
                poses_2d = read_cdf_pose(pose2d, 64)
            frames = {i: (i + offset, _image_name(subject, action, camera, i, split))
                      for i in range(0, len(poses_3d), STEP)}
            sequences.append(Sequence(subject, osp.basename(path)[:-4], action, camera, poses_3d, poses_2d,
                                      frames))
    return sequences


def _mask_box(handle, frame: int, path: str) -> Tuple[List[float], float]:
    masks = handle['Masks'] if 'Masks' in handle else None
    if masks is None or frame >= masks.shape[0]:
        raise BadFileError(f'{DATASET}: {path} has no mask for frame index {frame} (Masks '
                           f'{None if masks is None else masks.shape}); expected one per pose frame')
    mask = np.asarray(handle[masks[frame, 0]]).T
    ys, xs = np.where(mask == 1)
    if not len(xs):
        raise BadFileError(f'{DATASET}: {path}: the mask of frame index {frame} is empty')
    x0, y0, x1, y1 = int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1
    return [(x1 + x0) / 2, (y1 + y0) / 2], MASK_BOX_FACTOR * max(x1 - x0, y1 - y0) / 200.


def _joints(poses: np.ndarray, frame: int, slots: List[int], rows: List[int], width: int) -> np.ndarray:
    points = np.reshape(poses[frame], (-1, width))[rows]
    out = np.zeros((24, width + 1))
    out[slots, :width] = points
    out[slots, width] = 1
    return out


def _s24(poses_3d: np.ndarray, frame: int, slots: List[int], rows: List[int]) -> np.ndarray:
    joints = np.reshape(poses_3d[frame], (-1, 3)) / 1000.  # stays in the file's float type, as in SPIN
    joints = joints[rows]
    joints -= joints[0]  # root (pelvis) centred
    out = np.zeros((24, 4))
    out[slots, :3] = joints
    out[slots, 3] = 1
    return out


def _frame_jobs(sequences: List[Sequence], root: str, image_root: str, options: ConvertOptions) -> List[FrameJob]:
    jobs = []
    for seq in sequences:
        video = osp.join(root, seq.subject, 'Videos', seq.name + '.mp4')
        frames = {v: osp.join(image_root, rel) for _, (v, rel) in seq.frames.items()}
        jobs.append(FrameJob(video, frames, state_path(image_root, f'{seq.subject}_{seq.name}'),
                             options.jpeg_quality))
    return jobs


def _columns(keys) -> Dict[str, list]:
    return {k: [] for k in keys}


def convert(root: str, out_dir: str, options: ConvertOptions, split: str = 'test') -> List[str]:
    """Extract the frames and write the split's annotation files; returns the written paths."""
    if split not in SUBJECTS:
        raise ValueError(f'split must be test or train, got {split!r}')
    image_root = options.images or DEFAULT_IMAGES[split]
    sequences = find_sequences(root, split, options.corrected)
    jobs = _frame_jobs(sequences, root, image_root, options)
    extract_all(jobs, options.workers, options.progress, f'{DATASET} {split} videos')
    rows, slots = joint_indices(H36M_REGRESSOR_17, H36M_32), joint_indices(H36M_REGRESSOR_17, SPIN_24)
    keys = H36M_TEST_KEYS + (('part', ) if split == 'train' else ())
    outputs = {1: _columns(keys), 2: _columns(keys)} if split == 'test' else {0: _columns(keys)}
    for seq, job in track(list(zip(sequences, jobs)), f'{DATASET} {split} boxes', options.progress):
        written = set(job.written)
        box_path = osp.join(root, seq.subject, 'MySegmentsMat', 'ground_truth_bb', seq.name + '.mat')
        with open_h5(box_path, DATASET, 'ground-truth box file') as handle:
            for frame, (video_frame, rel) in seq.frames.items():
                has_image = video_frame in written
                targets = [k for k in outputs if _keeps(k, seq.camera, has_image, options.corrected)]
                if not targets:
                    continue
                center, scale = _mask_box(handle, frame, box_path)
                sample = {'imgname': rel, 'center': center, 'scale': scale,
                          'S': _s24(seq.poses_3d, frame, slots, rows)}
                if split == 'train':
                    sample['part'] = _joints(seq.poses_2d, frame, slots, rows, 2)
                for k in targets:
                    for key, value in sample.items():
                        outputs[k][key].append(value)
    names = {0: 'h36m_train.npz', 1: 'h36m_valid_protocol1.npz', 2: 'h36m_valid_protocol2.npz'}
    return [save_annotations(out_dir, names[k], columns) for k, columns in outputs.items()]


def _keeps(protocol: int, camera: str, has_image: bool, corrected: bool) -> bool:
    """Whether a sampled frame goes into the file of ``protocol`` (0 = train)."""
    if protocol == 2:
        # SPIN writes protocol 2 without reading the videos: no end-of-video cut.
        return camera == FRONTAL_CAMERA and (has_image or not corrected)
    return has_image
