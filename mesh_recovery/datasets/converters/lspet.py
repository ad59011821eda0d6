"""HR-LSPET -> ``hr-lspet_train.npz``.

Reproduces nkolot/SPIN ``datasets/preprocess/hr_lspet.py``: the sorted ``*.png``
images of the folder, the i-th image paired with ``joints[:, :, i]`` of
``joints.mat`` (14, 3, N), every joint marked visible and the box taken over all
14 joints, unannotated ones included (SPIN ignores the third column).
``corrected``: the visibility column is kept in ``part`` and only visible joints
make the box. ``openpose`` is not written (no detections).
"""
import os.path as osp
from typing import List

import numpy as np

from mesh_recovery.conventions.keypoints import LSP_14, SPIN_24, joint_indices
from mesh_recovery.utils.errors import BadFileError

from .common import check_shape, keypoint_box, load_mat, save_annotations, sorted_glob, spin_part
from .convert_options import ConvertOptions
from .progress_bar import track

DATASET = 'HR-LSPET'
OUTPUT = 'hr-lspet_train.npz'


def convert(root: str, out_dir: str, options: ConvertOptions, split: str = '') -> List[str]:
    """Write ``hr-lspet_train.npz`` from ``root/joints.mat`` and ``root/*.png``; returns the written paths."""
    path = osp.join(root, 'joints.mat')
    joints = load_mat(path, ['joints'], DATASET)['joints']
    check_shape(joints, (14, 3, None), path, 'joints', DATASET)
    images = sorted_glob(osp.join(root, '*.png'), 'image', DATASET)
    if len(images) > joints.shape[2]:
        raise BadFileError(f'{DATASET}: {root} holds {len(images)} .png images but {path} annotates only '
                           f'{joints.shape[2]}; expected the hr-lspet folder as released')
    slots = joint_indices(LSP_14, SPIN_24)
    columns = {'imgname': [], 'center': [], 'scale': [], 'part': []}
    for index, image in track(list(enumerate(images)), f'{DATASET} images', options.progress):
        points = joints[:, :2, index]
        visible = None
        boxed = points
        if options.corrected:
            visible = (joints[:, 2, index] > 0).astype(np.float64)
            boxed = points[visible > 0] if visible.any() else points
        center, scale = keypoint_box(boxed)
        columns['imgname'].append(osp.basename(image))
        columns['center'].append(center)
        columns['scale'].append(scale)
        columns['part'].append(spin_part(points, slots, visible))
    return [save_annotations(out_dir, OUTPUT, columns)]
