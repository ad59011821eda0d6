import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config

from mesh_recovery.utils.asset_check import assert_assets_present, collect_assets

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO.parent / 'shared' / 'fixtures' / 'mmpose_v0.29'


def h36m_test_cfg(image_dir, ann_file, regressor='models/free_body/joints_regressor_spin24.npy'):
    return Config(dict(
        model=dict(type='ParametricMesh',
                   smpl=dict(type='SMPL', smpl_path=str(REPO / 'models/free_body/body_model.npz'),
                             joints_regressor=str(REPO / regressor)),
                   mesh_head=dict(type='HMRMeshHead', smpl_mean_params=str(REPO / 'models/free_body/mean_params.npz'))),
        test_dataloader=dict(dataset=dict(type='MeshH36MDataset', ann_file=str(ann_file),
                                          data_prefix=dict(img=str(image_dir))))))


@pytest.fixture
def h36m_copy(tmp_path):
    if not FIXTURES.is_dir():
        pytest.skip(f'real fixtures absent: {FIXTURES}')
    shutil.copytree(FIXTURES / 'h36m', tmp_path / 'h36m')
    return tmp_path / 'h36m'


def test_real_fixture_config_is_complete(h36m_copy):
    statuses = collect_assets(h36m_test_cfg(h36m_copy, h36m_copy / 'test_h36m.npz'), mode='test')
    assert [s.kind for s in statuses] == ['smpl', 'joints_regressor', 'mean_params', 'annotation']
    assert all(s.ok for s in statuses), [s.describe() for s in statuses]


def test_missing_image_is_named(h36m_copy):
    (h36m_copy / 'S8_WalkDog_1.55011271_000026.jpg').unlink()
    cfg = h36m_test_cfg(h36m_copy, h36m_copy / 'test_h36m.npz')
    with pytest.raises(FileNotFoundError, match='S8_WalkDog_1.55011271_000026.jpg'):
        assert_assets_present(cfg, mode='test')


def test_annotation_missing_required_key_is_invalid(h36m_copy, tmp_path):
    with np.load(h36m_copy / 'test_h36m.npz') as data:
        np.savez(tmp_path / 'broken.npz', **{k: data[k] for k in data.files if k != 'center'})
    [status] = [s for s in collect_assets(h36m_test_cfg(h36m_copy, tmp_path / 'broken.npz'), 'test')
                if s.kind == 'annotation']
    assert status.status == 'invalid' and "['center']" in status.detail


def test_wrong_regressor_shape_is_invalid(h36m_copy, tmp_path):
    np.save(tmp_path / 'reg.npy', np.zeros((17, 100), np.float32))
    statuses = collect_assets(h36m_test_cfg(h36m_copy, h36m_copy / 'test_h36m.npz', regressor=tmp_path / 'reg.npy'),
                              'test')
    [status] = [s for s in statuses if s.kind == 'joints_regressor']
    assert status.status == 'invalid' and '(17, 100)' in status.detail


def test_doctor_lists_the_real_recipe_assets_and_fails(tmp_path):
    result = subprocess.run([sys.executable, str(REPO / 'tools' / 'check_assets.py'),
                             str(REPO / 'configs/mesh/hmr/hmr_resnet_50.py')],
                            cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 1
    for expected in ('SMPL_NEUTRAL.pkl', 'joints_regressor_cmr.npy', 'smpl_mean_params.npz', 'h36m_train.npz',
                     'CMU_mosh.npz', 'h36m_valid_protocol2.npz', 'data_preparation.md#smpl-model-files'):
        assert expected in result.stdout
