import os
import time

import numpy as np
import pytest

from mesh_recovery.utils.atomic import atomic_write_bytes
from mesh_recovery.utils.npz import npz_shapes, save_npz_deterministic


def test_npz_is_byte_identical_across_runs(tmp_path):
    arrays = {'b': np.arange(12.0).reshape(3, 4), 'a': np.array(['x', 'yy'])}
    save_npz_deterministic(tmp_path / 'one.npz', arrays)
    time.sleep(2.1)  # zip timestamps have 2 s resolution
    save_npz_deterministic(tmp_path / 'two.npz', dict(reversed(list(arrays.items()))))
    assert (tmp_path / 'one.npz').read_bytes() == (tmp_path / 'two.npz').read_bytes()
    with np.load(tmp_path / 'one.npz') as data:
        assert np.array_equal(data['b'], arrays['b']) and list(data['a']) == ['x', 'yy']
    assert npz_shapes(tmp_path / 'one.npz') == {'a': (2,), 'b': (3, 4)}


def test_failed_atomic_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / 'ckpt.pth'
    atomic_write_bytes(b'old', target)

    def broken_fsync(fd):
        raise OSError('disk full')

    monkeypatch.setattr(os, 'fsync', broken_fsync)
    with pytest.raises(OSError, match='disk full'):
        atomic_write_bytes(b'new-but-partial', target)
    assert target.read_bytes() == b'old'
    assert os.listdir(tmp_path) == ['ckpt.pth']
