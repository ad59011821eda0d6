"""3DPW sequences -> ``3dpw_test.npz``.

Reproduces nkolot/SPIN ``datasets/preprocess/pw3d.py``: for every sequence pickle
of ``sequenceFiles/test`` and every person in it, the frames flagged in
``campose_valid``; ``imgname`` ``imageFiles/<sequence>/image_<5 digits>.jpg``
(0-based); box from the 2D keypoints with confidence > 0; SMPL ``pose`` with the
global orientation rotated into the camera frame (``cam_poses``), ``shape`` the
first 10 betas, ``gender`` 'm' / 'f'. No ``part`` / ``S`` (SPIN writes none).
SPIN walks the pickles in ``os.listdir`` order, which depends on the file system;
they are sorted here. Pickles are read with the project's restricted unpickler.
"""
import os.path as osp
from typing import Any, Dict, List

import cv2
import numpy as np

from mesh_recovery.utils.errors import BadFileError, UserError

from ..annotation_format import PW3D_KEYS
from .common import keypoint_box, require_dir, save_annotations, sorted_glob
from .convert_options import ConvertOptions
from .progress_bar import ProgressBar

DATASET = '3DPW'
KEYS = ('poses', 'betas', 'poses2d', 'cam_poses', 'genders', 'campose_valid', 'sequence')


def load_sequence(path: str) -> Dict[str, Any]:
    """Read a 3DPW sequence pickle (Python 2, latin1) without running code from it."""
    from mesh_recovery.body_models.io import _RestrictedUnpickler
    try:
        with open(path, 'rb') as f:
            data = _RestrictedUnpickler(f, path).load()
    except UserError as exc:
        raise BadFileError(f'{DATASET}: {path} names something other than arrays, lists and strings; '
                           f'expected a 3DPW sequence file ({exc})') from exc
    except Exception as exc:  # truncated or not a pickle
        raise BadFileError(f'{DATASET}: cannot read {path} as a 3DPW sequence pickle '
                           f'({type(exc).__name__}: {exc})') from exc
    if not isinstance(data, dict):
        raise BadFileError(f'{DATASET}: {path} holds a {type(data).__name__}, expected a dict')
    missing = [k for k in KEYS if k not in data]
    if missing:
        raise BadFileError(f'{DATASET}: {path} lacks {missing}; expected a 3DPW sequence file')
    return data


def _camera_orient(orient: np.ndarray, rotation: np.ndarray) -> np.ndarray:
    """Axis-angle ``orient`` (3,) composed with the camera rotation: ``R @ Rodrigues(orient)``."""
    matrix = cv2.Rodrigues(np.asarray(orient, dtype=np.float64))[0]
    return cv2.Rodrigues(np.asarray(rotation, dtype=np.float64) @ matrix)[0][:, 0]


def _add_person(columns: Dict[str, list], data: Dict[str, Any], person: int, path: str) -> None:
    valid = np.asarray(data['campose_valid'][person]).astype(bool)
    poses = np.asarray(data['poses'][person], dtype=np.float64)
    keypoints = np.asarray(data['poses2d'][person], dtype=np.float64)
    betas = np.asarray(data['betas'][person], dtype=np.float64)[:10]
    cam_poses = np.asarray(data['cam_poses'], dtype=np.float64)
    sequence = str(data['sequence'])
    for frame in np.flatnonzero(valid):
        points = keypoints[frame].T  # (J, 3): x, y, confidence
        points = points[points[:, 2] > 0]
        if not len(points):
            raise BadFileError(f'{DATASET}: {path}: person {person}, frame {frame} is valid but has no 2D '
                               'keypoint with confidence > 0, so it has no box')
        center, scale = keypoint_box(points[:, :2])
        pose = poses[frame].copy()
        pose[:3] = _camera_orient(pose[:3], cam_poses[frame][:3, :3])
        columns['imgname'].append(f'imageFiles/{sequence}/image_{frame:05d}.jpg')
        columns['center'].append(center)
        columns['scale'].append(scale)
        columns['pose'].append(pose)
        columns['shape'].append(betas)
        columns['gender'].append(str(data['genders'][person]))


def convert(root: str, out_dir: str, options: ConvertOptions, split: str = 'test') -> List[str]:
    """Write ``3dpw_<split>.npz`` from ``root/sequenceFiles/<split>/*.pkl``; returns the written paths."""
    folder = require_dir(osp.join(root, 'sequenceFiles', split), 'sequence folder', DATASET)
    files = sorted_glob(osp.join(folder, '*.pkl'), 'sequence pickle', DATASET)
    columns = {k: [] for k in PW3D_KEYS}
    bar = ProgressBar(len(files), f'{DATASET} sequences', options.progress)
    for path in files:
        data = load_sequence(path)
        for person in range(len(data['poses'])):
            _add_person(columns, data, person, path)
        bar.update()
    bar.close()
    return [save_annotations(out_dir, f'3dpw_{split}.npz', columns)]
