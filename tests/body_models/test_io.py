"""Loading SMPL-format files: official pickles without chumpy, .npz, and refusals."""
import logging
import os
import pickle
import sys

import numpy as np
import pytest
from mmengine.logging import MMLogger
from synthetic_smpl import fake_chumpy_class, make_smpl_arrays, official_pickle_bytes, write_official_pickle

from mesh_recovery.body_models import (BodyModelData, UnsafePickleError, load_body_model_data,
                                       load_joints_regressor, resolve_body_model_path)
from mesh_recovery.conventions import smpl_parents


def _assert_matches(data: BodyModelData, arrays: dict) -> None:
    assert data.parents.dtype == np.int64 and data.parents.tolist() == smpl_parents()
    np.testing.assert_allclose(data.v_template, arrays['v_template'], atol=1e-6)
    np.testing.assert_allclose(data.shapedirs, arrays['shapedirs'][:, :, :10], atol=1e-7)
    np.testing.assert_allclose(data.posedirs, arrays['posedirs'], atol=1e-7)
    np.testing.assert_allclose(data.J_regressor, arrays['J_regressor'], atol=1e-7)
    np.testing.assert_allclose(data.weights, arrays['weights'], atol=1e-7)
    np.testing.assert_array_equal(data.faces, arrays['f'])
    assert data.faces.dtype == np.int64 and data.v_template.dtype == np.float32


@pytest.mark.parametrize('protocol', [1, 2])
def test_official_pickle_loads_without_chumpy(tmp_path, protocol):
    arrays = make_smpl_arrays(120, seed=5)
    raw = official_pickle_bytes(arrays, protocol)
    # The file really uses the Python-2 era globals the loader must accept.
    for name in (b'chumpy.ch\nCh', b'numpy.core.multiarray\n_reconstruct', b'scipy.sparse.csc\ncsc_matrix'):
        assert name in raw
    if protocol == 1:
        assert b'copy_reg\n_reconstructor' in raw and b'__builtin__\nobject' in raw
    path = tmp_path / 'SMPL_NEUTRAL.pkl'
    path.write_bytes(raw)
    had_chumpy = 'chumpy' in sys.modules
    data = load_body_model_data(str(path))
    _assert_matches(data, arrays)
    assert data.path == str(path) and data.num_vertices == 120 and data.num_betas == 10
    if not had_chumpy:
        assert 'chumpy' not in sys.modules


def test_npz_with_same_keys_loads(tmp_path):
    arrays = make_smpl_arrays(90, seed=6)
    kintree = arrays['kintree_table'].astype(np.int64)
    kintree[0, 0] = -1  # the free body model's convention
    npz = {k: arrays[k] for k in ('v_template', 'shapedirs', 'posedirs', 'J_regressor', 'weights', 'f')}
    npz = {k: v.astype(np.float32) if v.dtype == np.float64 else v for k, v in npz.items()}
    np.savez_compressed(tmp_path / 'body_model.npz', kintree_table=kintree, **npz)
    data = load_body_model_data(str(tmp_path / 'body_model.npz'))
    _assert_matches(data, arrays)


def test_300_shape_components_truncated_and_logged(tmp_path):
    arrays = make_smpl_arrays(80, num_betas=300, seed=7)
    path = write_official_pickle(tmp_path / 'SMPL_NEUTRAL.pkl', arrays)
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        data = load_body_model_data(path, num_betas=10)
    finally:
        logger.removeHandler(handler)
    assert data.shapedirs.shape == (80, 3, 10)
    np.testing.assert_allclose(data.shapedirs, arrays['shapedirs'][:, :, :10], atol=1e-7)
    messages = [r.getMessage() for r in records]
    assert any('first 10 of 300' in m for m in messages), messages


def test_too_few_shape_components_is_an_error(tmp_path):
    path = write_official_pickle(tmp_path / 'm.pkl', make_smpl_arrays(50, num_betas=8))
    with pytest.raises(ValueError, match='8 shape components.*num_betas=10'):
        load_body_model_data(path, num_betas=10)


def _write_marker(path):
    with open(path, 'w') as f:
        f.write('code ran')


class _Evil:
    """Unpickling this would run ``fn(arg)``."""

    def __init__(self, fn, arg):
        self.fn, self.arg = fn, arg

    def __reduce__(self):
        return self.fn, (self.arg, )


@pytest.mark.parametrize('make_payload', [
    lambda marker: _Evil(os.system, f'touch {marker}'),
    lambda marker: _Evil(_write_marker, str(marker)),
    lambda marker: _Evil(exec, f'open({str(marker)!r}, "w").close()'),
], ids=['os.system', 'module_function', 'exec'])
def test_code_running_pickle_is_refused(tmp_path, make_payload):
    marker = tmp_path / 'marker'
    arrays = make_smpl_arrays(30)
    arrays['bs_style'] = make_payload(marker)  # hidden among genuine model keys
    path = tmp_path / 'SMPL_NEUTRAL.pkl'
    path.write_bytes(pickle.dumps(arrays, protocol=2))
    payload = make_payload(marker)
    expected = {os.system: os.system.__module__, exec: '__builtin__'}.get(payload.fn, __name__)
    with pytest.raises(UnsafePickleError) as info:
        load_body_model_data(str(path))
    message = str(info.value)
    assert f'{expected}.{payload.fn.__name__}' in message and str(path) in message
    assert isinstance(info.value, pickle.UnpicklingError)
    assert not marker.exists()


def test_chumpy_expression_without_array_is_explained(tmp_path):
    # A chumpy operation (no stored 'x'): its value only chumpy could compute.
    add = fake_chumpy_class('chumpy.ch_ops', 'add', state_keys=('a', 'b'))
    raw = official_pickle_bytes(make_smpl_arrays(30), shapedirs_class=add)
    assert b'chumpy.ch_ops\nadd' in raw
    path = tmp_path / 'SMPL_NEUTRAL.pkl'
    path.write_bytes(raw)
    with pytest.raises(ValueError, match=r"'shapedirs' is a chumpy expression \(chumpy.ch_ops.add\)"):
        load_body_model_data(str(path))


def test_missing_file_says_where_it_comes_from(tmp_path):
    missing = tmp_path / 'models' / 'smpl' / 'SMPL_NEUTRAL.pkl'
    with pytest.raises(FileNotFoundError) as info:
        load_body_model_data(str(missing))
    message = str(info.value)
    assert str(missing) in message and 'models/smpl' in message and 'smpl.is.tue.mpg.de' in message
    assert 'free_body' in message
    with pytest.raises(FileNotFoundError, match='models/smpl') as info:
        resolve_body_model_path(str(tmp_path), 'neutral')
    assert str(tmp_path / 'SMPL_NEUTRAL.pkl') in str(info.value)


def test_resolve_prefers_pkl_then_npz(tmp_path):
    arrays = make_smpl_arrays(30)
    np.savez(tmp_path / 'SMPL_MALE.npz', **{k: v for k, v in arrays.items() if isinstance(v, np.ndarray)})
    assert resolve_body_model_path(str(tmp_path), 'male') == str(tmp_path / 'SMPL_MALE.npz')
    write_official_pickle(tmp_path / 'SMPL_MALE.pkl', arrays)
    assert resolve_body_model_path(str(tmp_path), 'male') == str(tmp_path / 'SMPL_MALE.pkl')
    write_official_pickle(tmp_path / 'basicModel_f_lbs_10_207_0_v1.0.0.pkl', arrays)
    assert resolve_body_model_path(str(tmp_path), 'female').endswith('basicModel_f_lbs_10_207_0_v1.0.0.pkl')
    with pytest.raises(ValueError, match="'other'"):
        resolve_body_model_path(str(tmp_path), 'other')


@pytest.mark.parametrize('key, value, match', [
    ('posedirs', np.zeros((30, 3, 200)), r"'posedirs' has shape \(30, 3, 200\), expected \(30, 3, 207\)"),
    ('weights', np.zeros((29, 24)), "'weights' has shape"),
    ('f', np.full((4, 3), 30), "'f' indexes vertices outside"),
])
def test_inconsistent_arrays_are_named(tmp_path, key, value, match):
    arrays = make_smpl_arrays(30)
    arrays[key] = value
    path = write_official_pickle(tmp_path / 'm.pkl', arrays)
    with pytest.raises(ValueError, match=match):
        load_body_model_data(path)


def test_missing_key_and_bad_tree_are_named(tmp_path):
    arrays = make_smpl_arrays(30)
    del arrays['weights']
    with pytest.raises(ValueError, match=r"missing body model keys \['weights'\]"):
        load_body_model_data(write_official_pickle(tmp_path / 'a.pkl', arrays))
    arrays = make_smpl_arrays(30)
    arrays['kintree_table'] = arrays['kintree_table'].astype(np.int64)
    arrays['kintree_table'][0, 4] = 7  # 4 -> 7 -> 4 is a cycle
    with pytest.raises(ValueError, match='cycle'):
        load_body_model_data(write_official_pickle(tmp_path / 'b.pkl', arrays))


def test_joints_regressor_vertex_count_checked(tmp_path):
    path = tmp_path / 'joints_regressor_cmr.npy'
    np.save(path, np.ones((24, 6890), np.float32))
    assert load_joints_regressor(str(path), 6890).shape == (24, 6890)
    with pytest.raises(ValueError, match=r'6890 vertices but the body model has 600') as info:
        load_joints_regressor(str(path), 600)
    assert str(path) in str(info.value)
