"""MPI-INF-3DHP -> ``mpi_inf_3dhp_train.npz`` (+ frames) and ``mpi_inf_3dhp_test.npz``.

Reproduces nkolot/SPIN ``datasets/preprocess/mpi_inf_3dhp.py``.

Train (S1-S8, Seq1-Seq2, cameras 0-2 and 4-8; ``annot.mat`` ``annot2`` / ``annot3``):
a frame is used when its 17 joints lie inside a fixed 2048 x 2048 image; one
counter runs over all subjects, sequences and videos and every 10th used frame
is kept (counter % 10 == 1); 3D joints in metres centred on the pelvis; box from
the 2D joints (factor 1.2). Frames are 1-based ``frame_<6 digits>.jpg`` under
``S*/Seq*/imageFrames/video_<c>/``. SPIN extracts every frame and pairs the i-th
file of an unsorted ``glob`` with annotation row i, which depends on the file
system; here row i is frame i + 1 (sorted order) and only kept frames are written
unless ``all_frames``.

Test (``mpi_inf_3dhp_test_set/TS1-TS6``, ``annot_data.mat``, MATLAB v7.3): frames
with ``valid_frame`` set whose joints (``annot2``, ``univ_annot3``) are inside the
image (its real size, read from the image file); images
``mpi_inf_3dhp_test_set/TS<n>/imageSequence/img_<6 digits>.jpg`` come with the
dataset. Written as ``mpi_inf_3dhp_test.npz``, the name SPIN's script writes.
"""
import os.path as osp
from typing import Dict, List, Tuple

import numpy as np

from mesh_recovery.conventions.keypoints import H36M_REGRESSOR_17, SPIN_24, joint_indices
from mesh_recovery.utils.errors import BadFileError

from ..annotation_format import MPI_INF_3DHP_WRITTEN_KEYS
from .common import (check_shape, h5_dataset, keypoint_box, load_mat, open_h5, require_file, save_annotations,
                     spin_part)
from .convert_options import ConvertOptions
from .joint_names import MPI_INF_3DHP_28, MPI_INF_3DHP_TEST_17
from .progress_bar import track
from .video_frames import FrameJob, extract_all, state_path

DATASET = 'MPI-INF-3DHP'
SUBJECTS = range(1, 9)
SEQUENCES = range(1, 3)
VIDEOS = (0, 1, 2, 4, 5, 6, 7, 8)
TRAIN_IMAGE_SIZE = 2048
KEEP_EVERY = 10
TEST_SEQUENCES = range(1, 7)


def _inside(points: np.ndarray, width: int, height: int) -> bool:
    return bool(np.all((points[:, 0] >= 0) & (points[:, 0] < width) & (points[:, 1] >= 0) & (points[:, 1] < height)))


def _s24(joints_3d: np.ndarray, slots: List[int]) -> np.ndarray:
    out = np.zeros((24, 4))
    out[slots, :3] = joints_3d
    out[slots, 3] = 1
    return out


def _video_rows(annot: np.ndarray, video: int, width: int, path: str, key: str) -> np.ndarray:
    try:
        rows = np.asarray(annot[video][0])
    except (IndexError, TypeError) as exc:
        raise BadFileError(f'{DATASET}: {path}: {key} has no entry for camera {video} '
                           f'(shape {getattr(annot, "shape", None)}); expected 14 cameras') from exc
    return check_shape(rows, (None, width), path, f'{key}[{video}]', DATASET)


def _frame_name(rel_seq: str, video: int, index: int) -> str:
    return f'{rel_seq}/imageFrames/video_{video}/frame_{index + 1:06d}.jpg'


def _video_samples(annot2: np.ndarray, annot3: np.ndarray, rel_seq: str, video: int, counter: int,
                   columns: Dict[str, list]) -> Tuple[List[int], int]:
    """Append the kept frames of one camera to ``columns``; return their indices and the running counter."""
    rows_28 = joint_indices(H36M_REGRESSOR_17, MPI_INF_3DHP_28)
    root_row = MPI_INF_3DHP_28.index('pelvis_mpii')
    slots = joint_indices(H36M_REGRESSOR_17, SPIN_24)
    kept = []
    for i in range(len(annot2)):
        joints = np.reshape(annot2[i], (28, 2))[rows_28]
        if not _inside(joints, TRAIN_IMAGE_SIZE, TRAIN_IMAGE_SIZE):
            continue
        counter += 1  # SPIN's one counter over every subject, sequence and camera
        if counter % KEEP_EVERY != 1:
            continue
        joints_3d = np.reshape(annot3[i], (28, 3)) / 1000
        joints_3d = joints_3d[rows_28] - joints_3d[root_row]
        center, scale = keypoint_box(joints)
        for key, value in (('imgname', _frame_name(rel_seq, video, i)), ('center', center), ('scale', scale),
                           ('part', spin_part(joints, slots)), ('S', _s24(joints_3d, slots))):
            columns[key].append(value)
        kept.append(i)
    return kept, counter


def _train_samples(root: str, columns: Dict[str, list], jobs: List[FrameJob], options: ConvertOptions) -> None:
    image_root = options.images or root  # SPIN writes the frames into the dataset folder
    counter = 0
    pairs = [(subject, seq) for subject in SUBJECTS for seq in SEQUENCES]
    for subject, seq in track(pairs, f'{DATASET} train sequences', options.progress):
        rel_seq = f'S{subject}/Seq{seq}'
        path = osp.join(root, rel_seq, 'annot.mat')
        mat = load_mat(path, ['annot2', 'annot3'], DATASET)
        for video in VIDEOS:
            annot2 = _video_rows(mat['annot2'], video, 56, path, 'annot2')
            annot3 = _video_rows(mat['annot3'], video, 84, path, 'annot3')
            kept, counter = _video_samples(annot2, annot3, rel_seq, video, counter, columns)
            indices = range(len(annot2)) if options.all_frames else kept
            frames = {i: osp.join(image_root, _frame_name(rel_seq, video, i)) for i in indices}
            video_path = osp.join(root, rel_seq, 'imageSequence', f'video_{video}.avi')
            jobs.append(FrameJob(video_path, frames, state_path(image_root, f'{rel_seq}/video_{video}'),
                                 options.jpeg_quality, required=kept))


def _add_fits(columns: Dict[str, list], path: str) -> None:
    """SPIN's multi-view fits (``pose``, ``shape``, ``has_smpl``), one row per kept sample."""
    from mesh_recovery.utils.files import load_npz
    fits = load_npz(path, 'MPI-INF-3DHP fits file', required=('pose', 'shape', 'has_smpl'))
    num = len(columns['imgname'])
    for key in ('pose', 'shape', 'has_smpl'):
        if len(fits[key]) != num:
            raise BadFileError(f'{DATASET}: {path}: {key} has {len(fits[key])} rows but the converted file has '
                               f'{num} samples; the fits belong to SPIN\'s sampling of the full training set')
        columns[key] = list(np.asarray(fits[key], dtype=np.float64))


def convert_train(root: str, out_dir: str, options: ConvertOptions) -> List[str]:
    """Extract the kept frames and write ``mpi_inf_3dhp_train.npz``."""
    columns = {k: [] for k in MPI_INF_3DHP_WRITTEN_KEYS}
    jobs: List[FrameJob] = []
    _train_samples(root, columns, jobs, options)
    extract_all(jobs, options.workers, options.progress, f'{DATASET} train videos')
    for job in jobs:
        missing = sorted(set(job.required) - set(job.written))
        if missing:
            raise BadFileError(f'{DATASET}: {job.video} ends before frame {missing[0] + 1}, which annot.mat '
                               'annotates; the video or annot.mat is incomplete')
    if options.fits:
        _add_fits(columns, options.fits)
    return [save_annotations(out_dir, 'mpi_inf_3dhp_train.npz', columns)]


def _image_size(path: str):
    from PIL import Image
    require_file(path, 'test image', DATASET)
    with Image.open(path) as image:
        return image.size


def convert_test(root: str, out_dir: str, options: ConvertOptions) -> List[str]:
    """Write ``mpi_inf_3dhp_test.npz`` from ``root/mpi_inf_3dhp_test_set``."""
    rows = joint_indices(H36M_REGRESSOR_17, MPI_INF_3DHP_TEST_17)
    slots = joint_indices(H36M_REGRESSOR_17, SPIN_24)
    columns = {k: [] for k in MPI_INF_3DHP_WRITTEN_KEYS}
    for number in track(TEST_SEQUENCES, f'{DATASET} test sequences', options.progress):
        rel = f'mpi_inf_3dhp_test_set/TS{number}'
        path = osp.join(root, rel, 'annot_data.mat')
        with open_h5(path, DATASET) as handle:
            annot2 = h5_dataset(handle, 'annot2', path, DATASET)
            annot3 = h5_dataset(handle, 'univ_annot3', path, DATASET)
            valid = h5_dataset(handle, 'valid_frame', path, DATASET).reshape(-1)
        check_shape(annot2, (len(valid), 1, 17, 2), path, 'annot2', DATASET)
        check_shape(annot3, (len(valid), 1, 17, 3), path, 'univ_annot3', DATASET)
        for frame in np.flatnonzero(valid != 0):
            name = f'{rel}/imageSequence/img_{frame + 1:06d}.jpg'
            joints = annot2[frame, 0, rows, :]
            joints_3d = annot3[frame, 0, rows, :] / 1000
            joints_3d = joints_3d - joints_3d[0]
            width, height = _image_size(osp.join(root, name))
            if not _inside(joints, width, height):
                continue
            center, scale = keypoint_box(joints)
            for key, value in (('imgname', name), ('center', center), ('scale', scale),
                               ('part', spin_part(joints, slots)), ('S', _s24(joints_3d, slots))):
                columns[key].append(value)
    return [save_annotations(out_dir, 'mpi_inf_3dhp_test.npz', columns)]


def convert(root: str, out_dir: str, options: ConvertOptions, split: str = 'train') -> List[str]:
    """Convert the ``train`` or ``test`` split; returns the written paths."""
    if split == 'train':
        return convert_train(root, out_dir, options)
    if split == 'test':
        return convert_test(root, out_dir, options)
    raise ValueError(f'split must be train or test, got {split!r}')
