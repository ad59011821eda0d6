"""Item 2: the asset doctor opens files with the loaders, never crashes, accepts what they accept."""
import shutil
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from mesh_recovery.body_models.io import resolve_body_model_path
from mesh_recovery.utils.asset_check import collect_assets

REPO = Path(__file__).resolve().parents[2]
FREE = REPO / 'models/free_body'


def _cfg(smpl_path, regressor=FREE / 'joints_regressor_spin24.npy', mean=FREE / 'mean_params.npz'):
    return Config(dict(model=dict(type='ParametricMesh',
                                  smpl=dict(type='SMPL', smpl_path=str(smpl_path), joints_regressor=str(regressor)),
                                  mesh_head=dict(type='HMRMeshHead', smpl_mean_params=str(mean)))))


def _status(statuses, kind):
    [status] = [s for s in statuses if s.kind == kind]
    return status


def test_empty_smpl_pickle_is_invalid_with_the_loaders_message(tmp_path):
    (tmp_path / 'SMPL_NEUTRAL.pkl').write_bytes(b'')
    status = _status(collect_assets(_cfg(tmp_path), 'test'), 'smpl')
    assert status.status == 'invalid' and 'is empty (0 bytes)' in status.detail


def test_official_smpl_file_name_and_model_folders_are_accepted(tmp_path):
    shutil.copy(FREE / 'body_model.npz', tmp_path / 'body_model.npz')
    # A folder holding only the free body model (smpl_path=models/free_body) is what SMPL accepts.
    assert _status(collect_assets(_cfg(FREE), 'test'), 'smpl').ok
    assert _status(collect_assets(_cfg(tmp_path), 'test'), 'smpl').ok
    # The loader's own name list decides: a name it does not know is missing for the doctor too.
    (tmp_path / 'body_model.npz').rename(tmp_path / 'my_model.npz')
    assert _status(collect_assets(_cfg(tmp_path), 'test'), 'smpl').status == 'missing'
    with pytest.raises(FileNotFoundError):
        resolve_body_model_path(str(tmp_path))


def test_official_pkl_name_is_found(tmp_path):
    sys.path.insert(0, str(REPO / 'tests/body_models'))
    from synthetic_smpl import make_smpl_arrays, write_official_pickle
    write_official_pickle(tmp_path / 'basicModel_neutral_lbs_10_207_0_v1.0.0.pkl', make_smpl_arrays(100))
    statuses = collect_assets(_cfg(tmp_path), 'test')
    smpl = _status(statuses, 'smpl')
    assert smpl.ok and smpl.path.endswith('basicModel_neutral_lbs_10_207_0_v1.0.0.pkl')


def test_bad_checkpoint_and_garbage_regressor_are_invalid_not_a_crash(tmp_path):
    (tmp_path / 'model.pth').write_bytes(b'\x80\x02}q\x00(X')
    (tmp_path / 'reg.npy').write_bytes(b'\x93NUMPY garbage')
    statuses = collect_assets(_cfg(FREE, regressor=tmp_path / 'reg.npy'), 'test',
                              checkpoint=str(tmp_path / 'model.pth'))
    assert _status(statuses, 'checkpoint').status == 'invalid'
    assert 'cannot be read as a torch checkpoint' in _status(statuses, 'checkpoint').detail
    assert _status(statuses, 'joints_regressor').status == 'invalid'
    assert _status(statuses, 'mean_params').ok and _status(statuses, 'smpl').ok


def test_checkpoint_with_nan_weights_is_invalid(tmp_path):
    torch.save({'state_dict': {'mesh_head.fc1.weight': torch.tensor([float('nan')])}}, tmp_path / 'model.pth')
    status = _status(collect_assets(_cfg(FREE), 'test', checkpoint=str(tmp_path / 'model.pth')), 'checkpoint')
    assert status.status == 'invalid' and 'mesh_head.fc1.weight' in status.detail
