"""Value checks on annotation columns, run when a dataset is built (not in a DataLoader worker).

A zero or NaN ``scale`` makes the crop transform divide by zero in a worker
process mid-epoch, far from the file that caused it. Checked here, the error
names the file, the key, how many samples and the first indices.
"""
import logging
import os.path as osp
from typing import Dict

import numpy as np
from mmengine.logging import print_log

from mesh_recovery.utils.errors import BadFileError
from mesh_recovery.utils.files import nonfinite_summary

# Column name -> annotation key, for messages in the file's own terms.
FILE_KEYS = {'center': 'center', 'scale': 'scale', 'keypoints_2d': 'part', 'keypoints_3d': 'S',
             'pose': 'pose', 'betas': 'shape'}
# A box side (scale * 200 px) outside this range is almost certainly a unit or format mistake.
MIN_BOX_PX, MAX_BOX_PX = 4.0, 20000.0


def _first(mask: np.ndarray, limit: int = 5) -> list:
    return np.flatnonzero(mask)[:limit].tolist()


def check_annotation_values(ann_file: str, columns: Dict[str, np.ndarray]) -> None:
    """Refuse non-finite or non-positive values; warn once about implausible boxes and paths.

    Args:
        ann_file: The annotation file, for messages.
        columns: What ``load_spin_annotations`` returned.

    Raises:
        BadFileError: Non-finite values in any float column, or ``scale`` <= 0,
            naming the key, the number of samples and the first indices.
    """
    problems = []
    for column, key in FILE_KEYS.items():
        if column in columns:
            count, first = nonfinite_summary(columns[column])
            if count:
                problems.append(f'{key!r}: NaN or infinite in {count} samples (first indices {first})')
    scale = columns['scale']
    not_positive = np.isfinite(scale) & (scale <= 0)
    if not_positive.any():
        problems.append(f"'scale': zero or negative in {int(not_positive.sum())} samples "
                        f'(first indices {_first(not_positive)}); scale is the box side / 200 px')
    if problems:
        raise BadFileError(f'annotation file {ann_file} has unusable values (of {len(scale)} samples):\n  '
                           + '\n  '.join(problems) + '\nFix or drop those samples (SPIN preprocessing writes '
                           'scale = 1.2 * box side / 200) before training or testing on this file.')
    side = scale * 200.0
    odd = (side < MIN_BOX_PX) | (side > MAX_BOX_PX)
    if odd.any():
        print_log(f'{ann_file}: {int(odd.sum())} of {len(scale)} boxes have an implausible side '
                  f'(scale * 200 outside [{MIN_BOX_PX:g}, {MAX_BOX_PX:g}] px; first indices {_first(odd)})',
                  logger='current', level=logging.WARNING)
    names = columns['imgname']
    outside = np.array([osp.isabs(n) or osp.normpath(n).startswith('..') for n in names.tolist()], dtype=bool)
    if outside.any():
        print_log(f'{ann_file}: {int(outside.sum())} image paths leave the image folder (absolute or "..", '
                  f'e.g. {names[outside][0]!r}); they are read from there as written',
                  logger='current', level=logging.WARNING)
