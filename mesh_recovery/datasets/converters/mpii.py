"""MPII single-person training annotations -> ``mpii_train.npz``.

Reproduces nkolot/SPIN ``datasets/preprocess/mpii.py``, which reads the
stacked-hourglass ``train.h5`` (keys ``center``, ``imgname``, ``part`` (N, 16, 2),
``scale``; SPIN opens it at ``data/train.h5``, here ``<root>/train.h5``): a row is
kept only if all 32 joint coordinates are > 0; centre and scale are copied from
the file; every kept joint is marked visible. ``openpose`` is not written.
"""
import os.path as osp
from typing import List

import numpy as np

from mesh_recovery.conventions.keypoints import SPIN_24, joint_indices

from .common import check_shape, h5_dataset, open_h5, save_annotations, spin_part
from .convert_options import ConvertOptions
from .progress_bar import track
from .joint_names import MPII_16

DATASET = 'MPII'
OUTPUT = 'mpii_train.npz'


def _name(value, path: str) -> str:
    if isinstance(value, bytes):
        return value.decode('utf-8')
    if isinstance(value, np.ndarray) and value.dtype.kind in 'iu':  # names stored as character codes
        return ''.join(chr(c) for c in value if c)
    return str(value)


def convert(root: str, out_dir: str, options: ConvertOptions, split: str = '') -> List[str]:
    """Write ``mpii_train.npz`` from ``root/train.h5``; returns the written paths."""
    path = osp.join(root, 'train.h5')
    with open_h5(path, DATASET, 'stacked-hourglass annotation file train.h5') as handle:
        arrays = {k: h5_dataset(handle, k, path, DATASET) for k in ('center', 'imgname', 'part', 'scale')}
    num = len(arrays['imgname'])
    check_shape(arrays['part'], (num, 16, 2), path, 'part', DATASET)
    check_shape(arrays['center'], (num, 2), path, 'center', DATASET)
    check_shape(arrays['scale'], (num, ), path, 'scale', DATASET)
    slots = joint_indices(MPII_16, SPIN_24)
    columns = {'imgname': [], 'center': [], 'scale': [], 'part': []}
    rows = list(zip(arrays['center'], arrays['imgname'], arrays['part'], arrays['scale']))
    for center, name, points, scale in track(rows, f'{DATASET} people', options.progress):
        if (points > 0).sum() < points.size:
            continue
        columns['imgname'].append('images/' + _name(name, path))
        columns['center'].append(center)
        columns['scale'].append(scale)
        columns['part'].append(spin_part(points, slots))
    return [save_annotations(out_dir, OUTPUT, columns)]
