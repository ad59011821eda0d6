"""LSP (original, high-resolution) training half -> ``lsp_dataset_original_train.npz``.

Reproduces nkolot/SPIN ``datasets/preprocess/lsp_dataset_original.py``: the first
1000 images, joints from ``joints.mat`` (3, 14, 2000), every joint marked visible
(SPIN ignores the file's third row), box from all 14 joints. SPIN's ``openpose``
key is not written (it needs OpenPose detections this project does not have).
"""
import os.path as osp
from typing import List

from mesh_recovery.conventions.keypoints import LSP_14, SPIN_24, joint_indices
from mesh_recovery.utils.errors import BadFileError

from .common import check_shape, keypoint_box, load_mat, save_annotations, spin_part
from .convert_options import ConvertOptions
from .progress_bar import track

DATASET = 'LSP'
NUM_TRAIN = 1000
OUTPUT = 'lsp_dataset_original_train.npz'


def convert(root: str, out_dir: str, options: ConvertOptions, split: str = '') -> List[str]:
    """Write ``lsp_dataset_original_train.npz`` from ``root/joints.mat``; returns the written paths."""
    path = osp.join(root, 'joints.mat')
    joints = load_mat(path, ['joints'], DATASET)['joints']
    check_shape(joints, (3, 14, None), path, 'joints', DATASET)
    if joints.shape[2] < NUM_TRAIN:
        raise BadFileError(f'{DATASET}: {path}: joints annotates {joints.shape[2]} images, expected 2000 '
                           f'(the first {NUM_TRAIN} are the training half)')
    slots = joint_indices(LSP_14, SPIN_24)
    columns = {'imgname': [], 'center': [], 'scale': [], 'part': []}
    for index in track(range(NUM_TRAIN), f'{DATASET} images', options.progress):
        points = joints[:2, :, index].T
        center, scale = keypoint_box(points)
        columns['imgname'].append(f'images/im{index + 1:04d}.jpg')
        columns['center'].append(center)
        columns['scale'].append(scale)
        columns['part'].append(spin_part(points, slots))
    return [save_annotations(out_dir, OUTPUT, columns)]
