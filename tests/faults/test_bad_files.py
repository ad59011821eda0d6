"""Item 1 of the reliability contract: every bad file gets a named error from the shared readers.

Each case writes one broken file and checks that the loader the tools use
raises a ``UserError`` naming the file and what was expected, never a bare
``EOFError`` / ``BadZipFile`` / ``KeyError`` / ``RecursionError``.
"""
import io
import json
import pickle
import sys
import types
import zipfile

import numpy as np
import pytest
import torch

from mesh_recovery.body_models.io import load_body_model_data, load_joints_regressor
from mesh_recovery.datasets.spin_annotations import load_spin_annotations
from mesh_recovery.engine.checkpoint import read_checkpoint
from mesh_recovery.models.heads.hmr_mesh_head import load_mean_params
from mesh_recovery.utils.errors import BadFileError, MissingFileError, UserError
from mesh_recovery.utils.files import load_config

FREE_BODY = 'models/free_body/body_model.npz'


def _npz_bytes(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _npy_bytes(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _pth_bytes(obj) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


GOOD_ANNOTATION = dict(imgname=np.array(['a.jpg', 'b.jpg']), center=np.full((2, 2), 100.0), scale=np.ones(2))
GOOD_PTH = _pth_bytes({'state_dict': {'w': torch.ones(3)}})

# (loader, file name, content, words the message must contain besides the file name)
CASES = {
    'pkl-empty': (load_body_model_data, 'SMPL_NEUTRAL.pkl', b'', 'empty'),
    'pkl-truncated': (load_body_model_data, 'SMPL_NEUTRAL.pkl', pickle.dumps({'a': np.ones(100)})[:40],
                      'truncated'),
    'pkl-text': (load_body_model_data, 'SMPL_NEUTRAL.pkl', b'<html>404 not found</html>', 'SMPL model pickle'),
    'pkl-memo-garbage': (load_body_model_data, 'SMPL_NEUTRAL.pkl', b'\x80\x02he.', 'SMPL model pickle'),
    'pkl-not-dict': (load_body_model_data, 'SMPL_NEUTRAL.pkl', pickle.dumps([1, 2]), 'dict'),
    'npz-empty': (load_body_model_data, 'body_model.npz', b'', 'empty'),
    'npz-is-text': (load_body_model_data, 'body_model.npz', b'not an archive', '.npz archive'),
    'npz-truncated': (load_body_model_data, 'body_model.npz', _npz_bytes(v=np.ones(5000))[:300], 'truncated'),
    'npz-object-array': (load_body_model_data, 'body_model.npz',
                         _npz_bytes(v_template=np.array([{'x': 1}], dtype=object)), 'Python objects'),
    'regressor-empty': (lambda p: load_joints_regressor(p, 10), 'reg.npy', b'', 'empty'),
    'regressor-is-npz': (lambda p: load_joints_regressor(p, 10), 'reg.npy', _npz_bytes(a=np.ones(3)),
                         '.npz archive'),
    'regressor-object': (lambda p: load_joints_regressor(p, 10), 'reg.npy',
                         _npy_bytes(np.array([None, 1], dtype=object)), 'Python objects'),
    'regressor-nan': (lambda p: load_joints_regressor(p, 4), 'reg.npy',
                      _npy_bytes(np.array([[1, 0, 0, np.nan]] * 24, np.float32)), 'NaN'),
    'mean-params-empty': (load_mean_params, 'smpl_mean_params.npz', b'', 'empty'),
    'mean-params-missing-key': (load_mean_params, 'smpl_mean_params.npz', _npz_bytes(pose=np.zeros(144)),
                                'shape'),
    'mean-params-nan': (load_mean_params, 'smpl_mean_params.npz',
                        _npz_bytes(pose=np.full(144, np.nan), shape=np.zeros(10), cam=np.zeros(3)), 'NaN'),
    'annotation-empty': (load_spin_annotations, 'train.npz', b'', 'empty'),
    'annotation-truncated': (load_spin_annotations, 'train.npz', _npz_bytes(**GOOD_ANNOTATION)[:200],
                             'truncated'),
    'annotation-object': (load_spin_annotations, 'train.npz',
                          _npz_bytes(**dict(GOOD_ANNOTATION, scale=np.array([1, None], dtype=object))),
                          'Python objects'),
    'checkpoint-empty': (read_checkpoint, 'model.pth', b'', 'empty'),
    'checkpoint-truncated': (read_checkpoint, 'model.pth', GOOD_PTH[:len(GOOD_PTH) // 2], 'truncated'),
    'checkpoint-text': (read_checkpoint, 'model.pth', b'<html>Sign in to download</html>', 'torch checkpoint'),
    'checkpoint-lfs-pointer': (read_checkpoint, 'model.pth', b'version https://git-lfs.github.com/spec/v1\noid',
                               'git lfs pull'),
    'checkpoint-not-dict': (read_checkpoint, 'model.pth', _pth_bytes([torch.ones(2)]), 'expected a dict'),
    'checkpoint-nan-weights': (read_checkpoint, 'model.pth',
                               _pth_bytes({'state_dict': {'fc.weight': torch.tensor([1.0, float('nan')])}}),
                               'fc.weight'),
    'config-syntax': (load_config, 'my_config.py', b'model = dict(\n  type="X",\n', 'line'),
    'config-name-error': (load_config, 'my_config.py', b'a = undefined_name + 1\n', 'undefined_name'),
    'config-empty': (load_config, 'my_config.py', b'', 'empty'),
}


@pytest.mark.parametrize('case', sorted(CASES))
def test_bad_file_is_named(case, tmp_path):
    loader, name, content, words = CASES[case]
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UserError) as info:
        loader(str(path))
    message = str(info.value)
    assert str(path) in message and words in message, message
    assert isinstance(info.value, BadFileError)


@pytest.mark.parametrize('loader', [load_body_model_data, read_checkpoint, load_config, load_mean_params,
                                    load_spin_annotations])
def test_missing_file_is_named_and_still_a_file_not_found_error(loader, tmp_path):
    path = tmp_path / 'absent' / 'file.npz'
    with pytest.raises(MissingFileError) as info:
        loader(str(path))
    assert isinstance(info.value, FileNotFoundError) and str(path) in str(info.value)


def test_self_referential_chumpy_pickle_is_refused_without_recursion_error(tmp_path, monkeypatch):
    module = types.ModuleType('chumpy.ch')
    ch_class = type('Ch', (), {'__module__': 'chumpy.ch'})
    module.Ch = ch_class
    monkeypatch.setitem(sys.modules, 'chumpy', types.ModuleType('chumpy'))
    monkeypatch.setitem(sys.modules, 'chumpy.ch', module)
    loop = ch_class()
    loop.x = loop  # the stored array of this chumpy object is the object itself
    with np.load(FREE_BODY) as free:
        arrays = {k: free[k] for k in free.files}
    arrays['v_template'] = loop
    path = tmp_path / 'SMPL_NEUTRAL.pkl'
    path.write_bytes(pickle.dumps(arrays, protocol=2))
    with pytest.raises(BadFileError, match='self-referential') as info:
        load_body_model_data(str(path))
    assert str(path) in str(info.value)


def test_body_model_with_nan_is_refused_at_load(tmp_path):
    with np.load(FREE_BODY) as free:
        arrays = {k: free[k] for k in free.files}
    arrays['shapedirs'] = arrays['shapedirs'].copy()
    arrays['shapedirs'][[3, 7]] = np.inf
    np.savez(tmp_path / 'body_model.npz', **arrays)
    with pytest.raises(BadFileError, match=r"'shapedirs' holds NaN or infinite values in 2 of .*\[3, 7\]"):
        load_body_model_data(str(tmp_path / 'body_model.npz'))


def test_zip_that_is_not_an_npz_names_the_missing_keys(tmp_path):
    path = tmp_path / 'train.npz'
    with zipfile.ZipFile(path, 'w') as archive:
        archive.writestr('readme.txt', 'hello')
    with pytest.raises(UserError, match=r"lacks the required keys \['imgname', 'center', 'scale'\]"):
        load_spin_annotations(str(path))


def test_good_files_still_load(tmp_path):
    assert load_body_model_data(FREE_BODY).num_vertices > 0
    (tmp_path / 'train.npz').write_bytes(_npz_bytes(**GOOD_ANNOTATION))
    assert load_spin_annotations(str(tmp_path / 'train.npz'))['scale'].tolist() == [1.0, 1.0]
    (tmp_path / 'model.pth').write_bytes(GOOD_PTH)
    assert read_checkpoint(str(tmp_path / 'model.pth'))['state_dict']['w'].tolist() == [1.0, 1.0, 1.0]
    (tmp_path / 'boxes.json').write_text(json.dumps([[0, 0, 10, 10]]))
