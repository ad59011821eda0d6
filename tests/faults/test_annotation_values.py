"""Item 3: bad annotation values are reported when the dataset is built, with file, key, count, indices."""
import logging

import numpy as np
import pytest
from mmengine.logging import MMLogger

from mesh_recovery.datasets.mesh_base_dataset import MeshBaseDataset
from mesh_recovery.utils.errors import BadFileError


def _write(path, **changes):
    num = 10
    arrays = dict(imgname=np.array([f'img_{i}.jpg' for i in range(num)]), center=np.full((num, 2), 100.0),
                  scale=np.ones(num), S=np.ones((num, 24, 4)), part=np.ones((num, 24, 3)))
    for key, (index, value) in changes.items():
        arrays[key] = arrays[key].copy()
        arrays[key][index] = value
    np.savez(path, **arrays)
    return str(path)


@pytest.mark.parametrize('key, index, value, words', [
    ('scale', [2, 5], 0.0, "'scale': zero or negative in 2 samples (first indices [2, 5])"),
    ('scale', [7], np.nan, "'scale': NaN or infinite in 1 samples (first indices [7])"),
    ('scale', [1], -1.0, "'scale': zero or negative in 1 samples (first indices [1])"),
    ('center', [3, 4, 9], np.inf, "'center': NaN or infinite in 3 samples (first indices [3, 4, 9])"),
    ('S', [0], np.nan, "'S': NaN or infinite in 1 samples (first indices [0])"),
    ('part', [6], np.nan, "'part': NaN or infinite in 1 samples (first indices [6])"),
])
def test_bad_values_are_refused_when_the_dataset_is_built(tmp_path, key, index, value, words):
    path = _write(tmp_path / 'train.npz', **{key: (index, value)})
    with pytest.raises(BadFileError) as info:
        MeshBaseDataset(path)
    assert path in str(info.value) and words in str(info.value), str(info.value)


def test_implausible_boxes_and_escaping_paths_warn_once_with_a_count(tmp_path):
    path = tmp_path / 'train.npz'
    _write(path, scale=([0, 1, 2], 500.0))
    with np.load(path) as data:
        arrays = dict(data)
    arrays['imgname'] = np.array(['../../etc/x.jpg', '/abs/y.jpg'] + [f'img_{i}.jpg' for i in range(8)])
    np.savez(path, **arrays)
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        dataset = MeshBaseDataset(str(path))
    finally:
        logger.removeHandler(handler)
    messages = [r.getMessage() for r in records]
    assert len(dataset) == 10
    assert sum('3 of 10 boxes have an implausible side' in m for m in messages) == 1
    assert sum('2 image paths leave the image folder' in m for m in messages) == 1
