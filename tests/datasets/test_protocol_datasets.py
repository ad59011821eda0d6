"""Mesh3DPWDataset and MeshMPIINF3DHPDataset read SPIN's keys and name what a protocol lacks."""
import numpy as np
import pytest
from mmengine.registry import init_default_scope

from mesh_recovery.conventions import MPI_INF_3DHP_17, SPIN_24, joint_indices
from mesh_recovery.registry import DATASETS


@pytest.fixture(autouse=True)
def _scope():
    init_default_scope('mesh_recovery')


def _write_3dpw(path, num=4, drop=(), genders=('m', 'f')):
    rng = np.random.default_rng(0)
    arrays = dict(imgname=np.array([f'imageFiles/courtyard_basketball_00/image_{i:05d}.jpg' for i in range(num)]),
                  center=rng.uniform(100, 300, (num, 2)), scale=rng.uniform(0.8, 1.6, num),
                  pose=rng.normal(0, 0.3, (num, 72)), shape=rng.normal(0, 1, (num, 10)),
                  gender=np.array([genders[i % len(genders)] for i in range(num)]))
    np.savez(path, **{k: v for k, v in arrays.items() if k not in drop})
    return arrays


def test_3dpw_reads_spin_keys(tmp_path):
    arrays = _write_3dpw(tmp_path / '3dpw_test.npz')
    dataset = DATASETS.build(dict(type='Mesh3DPWDataset', ann_file=str(tmp_path / '3dpw_test.npz'), test_mode=True))
    assert len(dataset) == 4
    info = dataset.get_data_info(1)
    assert info['gender'] == 1 and info['has_smpl'] == 1.0
    np.testing.assert_allclose(info['pose'], arrays['pose'][1], rtol=1e-6)
    np.testing.assert_allclose(info['betas'], arrays['shape'][1], rtol=1e-6)
    assert dataset.get_data_info(0)['gender'] == 0
    assert not dataset.get_data_info(0)['keypoints_3d'][:, 3].any()  # SPIN writes no S for 3DPW
    assert dataset.metainfo['default_evaluator'] == dict(type='PW3DError')


@pytest.mark.parametrize('key', ['gender', 'pose', 'shape'])
def test_3dpw_missing_key_names_file_and_protocol(tmp_path, key):
    path = tmp_path / '3dpw_test.npz'
    _write_3dpw(path, drop=(key, ))
    dataset = DATASETS.build(dict(type='Mesh3DPWDataset', ann_file=str(path), test_mode=True, lazy_init=True))
    with pytest.raises(KeyError, match=rf"{path}.*\['{key}'\].*3DPW test"):
        dataset.full_init()


def test_3dpw_unknown_gender(tmp_path):
    path = tmp_path / '3dpw_test.npz'
    _write_3dpw(path, genders=('m', 'x'))
    with pytest.raises(ValueError, match=r"2 samples have a gender other than 'm' / 'f'.*sample 1"):
        DATASETS.build(dict(type='Mesh3DPWDataset', ann_file=str(path), test_mode=True))
    dataset = DATASETS.build(dict(type='Mesh3DPWDataset', ann_file=str(path), test_mode=True, gendered=False))
    assert dataset.get_data_info(1)['gender'] == -1


def test_3dhp_reads_spin_keys_and_requires_s(tmp_path):
    num = 3
    rng = np.random.default_rng(1)
    joints = np.zeros((num, 24, 4))
    slots = joint_indices(MPI_INF_3DHP_17, SPIN_24)
    joints[:, slots, :3] = rng.normal(0, 0.3, (num, 17, 3))
    joints[:, slots, 3] = 1.0
    names = [f'mpi_inf_3dhp_test_set/TS1/imageSequence/img_{i + 1:06d}.jpg' for i in range(num)]
    arrays = dict(imgname=np.array(names),
                  center=rng.uniform(100, 300, (num, 2)), scale=rng.uniform(0.8, 1.6, num),
                  part=np.zeros((num, 24, 3)), S=joints)
    np.savez(tmp_path / 'mpi_inf_3dhp_test.npz', **arrays)
    dataset = DATASETS.build(dict(type='MeshMPIINF3DHPDataset', ann_file=str(tmp_path / 'mpi_inf_3dhp_test.npz'),
                                  test_mode=True))
    np.testing.assert_allclose(dataset.get_data_info(2)['keypoints_3d'], joints[2], rtol=1e-6)
    assert dataset.get_data_info(2)['has_smpl'] == 0.0
    np.savez(tmp_path / 'no_s.npz', **{k: v for k, v in arrays.items() if k != 'S'})
    with pytest.raises(KeyError, match=r"no_s.npz.*\['S'\].*MPI-INF-3DHP test"):
        DATASETS.build(dict(type='MeshMPIINF3DHPDataset', ann_file=str(tmp_path / 'no_s.npz'), test_mode=True))
    np.savez(tmp_path / 'unconfident.npz', **dict(arrays, S=np.zeros((num, 24, 4))))
    with pytest.raises(ValueError, match='zero confidence'):
        DATASETS.build(dict(type='MeshMPIINF3DHPDataset', ann_file=str(tmp_path / 'unconfident.npz'), test_mode=True))
