"""The asset doctor knows each evaluation protocol's files."""
import numpy as np
from mmengine.config import Config

from mesh_recovery.utils.asset_check import collect_assets


def _cfg(tmp_path, dataset_type, evaluator):
    return Config(dict(model=dict(), test_dataloader=dict(dataset=dict(
        type=dataset_type, data_root=str(tmp_path), ann_file='test.npz', data_prefix=dict(img=''))),
        test_evaluator=evaluator))


def _by_path(statuses):
    return {s.path: s for s in statuses}


def test_3dpw_needs_gendered_models_regressor_and_protocol_keys(tmp_path):
    np.savez(tmp_path / 'test.npz', imgname=np.array(['a.jpg']), center=np.zeros((1, 2)), scale=np.ones(1),
             pose=np.zeros((1, 72)), shape=np.zeros((1, 10)))
    (tmp_path / 'a.jpg').write_bytes(b'')
    models = tmp_path / 'smpl'
    models.mkdir()
    (models / 'SMPL_MALE.pkl').write_bytes(b'')
    statuses = _by_path(collect_assets(_cfg(tmp_path, 'Mesh3DPWDataset', dict(type='PW3DError', smpl_path=str(models))),
                                       'test'))
    assert statuses[str(models / 'SMPL_MALE.pkl')].ok
    female = statuses[str(models / 'SMPL_FEMALE.pkl')]
    assert female.status == 'missing' and '3DPW' in female.detail
    assert statuses[str(models / 'J_regressor_h36m.npy')].status == 'missing'
    annotation = statuses[str(tmp_path / 'test.npz')]
    assert annotation.status == 'invalid' and "['gender']" in annotation.detail and '3DPW test' in annotation.detail
    neutral = collect_assets(_cfg(tmp_path, 'MeshBaseDataset', dict(type='PW3DError', smpl_path=str(models),
                                                                   gt_gender='neutral')), 'test')
    assert str(models / 'SMPL_FEMALE.pkl') not in _by_path(neutral)


def test_3dhp_regressor_only_for_the_h36m_source(tmp_path):
    np.savez(tmp_path / 'test.npz', imgname=np.array(['a.jpg']), center=np.zeros((1, 2)), scale=np.ones(1))
    (tmp_path / 'a.jpg').write_bytes(b'')
    np.save(tmp_path / 'J_regressor_h36m.npy', np.zeros((17, 5)))
    spin = dict(type='MPIINF3DHPError', pred_source='h36m_regressor', smpl_path=str(tmp_path))
    statuses = _by_path(collect_assets(_cfg(tmp_path, 'MeshMPIINF3DHPDataset', spin), 'test'))
    assert statuses[str(tmp_path / 'J_regressor_h36m.npy')].ok
    assert "['S']" in statuses[str(tmp_path / 'test.npz')].detail
    plain = _by_path(collect_assets(_cfg(tmp_path, 'MeshMPIINF3DHPDataset', dict(type='MPIINF3DHPError')), 'test'))
    assert str(tmp_path / 'J_regressor_h36m.npy') not in plain
