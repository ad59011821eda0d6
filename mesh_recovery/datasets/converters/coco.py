"""COCO 2014 training people -> ``coco_2014_train.npz``.

Reproduces nkolot/SPIN ``datasets/preprocess/coco.py``: annotations of
``annotations/person_keypoints_train2014.json`` in file order, kept when all 12
body joints (shoulders to ankles) are labelled (v > 0); labels > 0 become
visibility 1; centre and scale from the annotation's ``bbox`` (x, y, w, h):
``scale = 1.2 * max(w, h) / 200``. SPIN has no ``iscrowd`` rule; ``corrected``
drops crowd annotations. ``openpose`` is not written.
"""
import json
import os.path as osp
from typing import List

import numpy as np

from mesh_recovery.conventions.keypoints import COCO_17, SPIN_24, joint_indices
from mesh_recovery.utils.errors import BadFileError

from .common import KEYPOINT_BOX_FACTOR, SCALE_UNIT, require_file, save_annotations
from .convert_options import ConvertOptions
from .progress_bar import track

DATASET = 'COCO'
OUTPUT = 'coco_2014_train.npz'
ANNOTATIONS = osp.join('annotations', 'person_keypoints_train2014.json')
BODY_JOINTS = slice(5, None)  # the 12 joints from the shoulders down


def _load(path: str) -> dict:
    require_file(path, 'keypoint annotation file', DATASET)
    try:
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadFileError(f'{DATASET}: {path} is not valid JSON ({exc}); expected COCO\'s '
                           'person_keypoints_train2014.json') from exc
    missing = [k for k in ('images', 'annotations') if k not in data]
    if missing:
        raise BadFileError(f'{DATASET}: {path} lacks {missing}; expected COCO\'s person keypoints file')
    return data


def convert(root: str, out_dir: str, options: ConvertOptions, split: str = '') -> List[str]:
    """Write ``coco_2014_train.npz`` from the keypoint json under ``root``; returns the written paths."""
    path = osp.join(root, ANNOTATIONS)
    data = _load(path)
    files = {image['id']: image['file_name'] for image in data['images']}
    slots = joint_indices(COCO_17, SPIN_24)
    columns = {'imgname': [], 'center': [], 'scale': [], 'part': []}
    annotations = list(enumerate(data['annotations']))
    for number, annot in track(annotations, f'{DATASET} annotations', options.progress):
        if options.corrected and annot.get('iscrowd', 0):
            continue
        keypoints = np.reshape(np.asarray(annot.get('keypoints', []), dtype=np.float64), (-1, 3))
        if keypoints.shape != (17, 3):
            raise BadFileError(f'{DATASET}: {path}: annotation #{number} (id {annot.get("id")}) has '
                               f'{keypoints.size} keypoint values, expected 51 (17 x, y, v)')
        keypoints[keypoints[:, 2] > 0, 2] = 1
        if (keypoints[BODY_JOINTS, 2] > 0).sum() < 12:
            continue
        if annot.get('image_id') not in files:
            raise BadFileError(f'{DATASET}: {path}: annotation #{number} names image_id '
                               f'{annot.get("image_id")}, which is not in "images"')
        x, y, w, h = (float(v) for v in annot['bbox'])
        part = np.zeros((24, 3))
        part[slots] = keypoints
        columns['imgname'].append('train2014/' + str(files[annot['image_id']]))
        columns['center'].append([x + w / 2, y + h / 2])
        columns['scale'].append(KEYPOINT_BOX_FACTOR * max(w, h) / SCALE_UNIT)
        columns['part'].append(part)
    return [save_annotations(out_dir, OUTPUT, columns)]
