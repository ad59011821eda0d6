"""Dataset, metric and model classes declare their files; the asset doctor asks them (no config-key walking)."""
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config

from mesh_recovery.datasets import Mesh3DPWDataset, MeshBaseDataset, MoshDataset
from mesh_recovery.evaluation import MPIINF3DHPError, PW3DError
from mesh_recovery.registry import DATASETS, METRICS
from mesh_recovery.utils.asset_check import check_dataset_files, check_model_files, collect_assets
from mesh_recovery.utils.asset_needs import FileNeed


class CalibratedDataset(MeshBaseDataset):
    """A dataset the doctor has never heard of: it also reads a camera calibration file."""

    @classmethod
    def needed_files(cls, calibration='', **kwargs):
        return super().needed_files(**kwargs) + [FileNeed('calibration', calibration, why='camera intrinsics')]


class CalibrationMetric:
    """A metric that reads a table of its own."""

    @classmethod
    def needed_files(cls, table='', **kwargs):
        return [FileNeed('metric_table', table, check='npy')]


@pytest.fixture
def registered():
    DATASETS.register_module(module=CalibratedDataset, force=True)
    METRICS.register_module(module=CalibrationMetric, force=True)
    yield
    DATASETS._module_dict.pop('CalibratedDataset')
    METRICS._module_dict.pop('CalibrationMetric')


def _annotation(path):
    np.savez(path, imgname=np.array(['a.jpg']), center=np.zeros((1, 2)), scale=np.ones(1))
    (path.parent / 'a.jpg').write_bytes(b'')


def test_a_new_dataset_and_metric_are_checked_through_wrappers(tmp_path, registered):
    _annotation(tmp_path / 'ann.npz')
    calibrated = dict(type='CalibratedDataset', data_root=str(tmp_path), ann_file='ann.npz',
                      calibration=str(tmp_path / 'camera.json'))
    wrapped = dict(type='ConcatDataset', datasets=[dict(type='MeshMixDataset', configs=[calibrated], partition=[1])])
    cfg = Config(dict(model=dict(), test_dataloader=dict(dataset=wrapped),
                      test_evaluator=dict(type='CalibrationMetric', table=str(tmp_path / 'table.npy'))))
    statuses = {s.path: s for s in collect_assets(cfg, 'test')}
    assert statuses[str(tmp_path / 'ann.npz')].ok
    camera = statuses[str(tmp_path / 'camera.json')]
    assert (camera.kind, camera.status) == ('calibration', 'missing')
    assert str(tmp_path / 'camera.json') in camera.describe() and 'dataset or metric class' in camera.describe()
    table = statuses[str(tmp_path / 'table.npy')]
    assert (table.kind, table.status) == ('metric_table', 'missing')
    np.save(tmp_path / 'table.npy', np.zeros(3))
    (tmp_path / 'camera.json').write_text('{}')
    assert all(s.ok for s in collect_assets(cfg, 'test'))


def test_an_unknown_type_or_bad_arguments_are_reported_not_raised(tmp_path):
    [status] = check_dataset_files(dict(type='NoSuchDataset', ann_file='x.npz'))
    assert status.status == 'invalid' and 'NoSuchDataset' in status.detail and 'type' in status.detail
    [status] = check_dataset_files(dict(type='MeshBaseDataset', ann_file='x.npz', img_prefix='a',
                                        data_prefix=dict(img='b')))
    assert status.status == 'invalid' and 'disagree' in status.detail


def test_mesh_datasets_declare_annotation_keys_and_image_folder():
    images, annotation = MeshBaseDataset.needed_files(ann_file='ann.npz', data_root='/data', img_prefix='imgs',
                                                      pipeline=[], test_mode=True)
    assert (images.path, images.check) == ('/data/imgs', 'folder')
    assert (annotation.path, annotation.keys, annotation.image_dir) == (
        '/data/ann.npz', ('imgname', 'center', 'scale'), '/data/imgs')
    assert annotation.protocol_keys == ()
    [_, pw3d] = Mesh3DPWDataset.needed_files(ann_file='/abs/3dpw.npz', data_root='/data')
    assert pw3d.path == '/abs/3dpw.npz' and 'gender' in pw3d.protocol_keys and pw3d.protocol == '3DPW test'
    [mosh] = MoshDataset.needed_files(ann_file='CMU_mosh.npz', data_root='/data')
    assert (mosh.path, mosh.keys, mosh.image_dir) == ('/data/CMU_mosh.npz', ('pose', 'shape'), None)


def test_metrics_declare_body_model_files():
    male, female, regressor = PW3DError.needed_files()
    assert [(n.path, n.gender, n.check) for n in (male, female)] == [
        ('models/smpl', 'male', 'body_model'), ('models/smpl', 'female', 'body_model')]
    assert regressor.path == osp.join('models/smpl', 'J_regressor_h36m.npy')
    [regressor] = PW3DError.needed_files(smpl_path='m/SMPL_NEUTRAL.npz', regressor='r.npy', gt_gender='neutral')
    assert regressor.path == 'r.npy'
    assert MPIINF3DHPError.needed_files() == []
    [regressor] = MPIINF3DHPError.needed_files(pred_source='h36m_regressor', smpl_path='models/free_body')
    assert regressor.path == osp.join('models/free_body', 'J_regressor_h36m.npy')


def test_file_need_refuses_an_unknown_check():
    with pytest.raises(ValueError, match="'exists'.*x.npz"):
        FileNeed('annotation', 'x.npz', check='exists')


def test_the_model_parts_declare_their_files(tmp_path):
    """Body model, regressor (against the body's vertex count), head's mean parameters, backbone weights."""
    free = osp.join(osp.dirname(__file__), '..', '..', 'models', 'free_body')
    np.save(tmp_path / 'regressor.npy', np.zeros((24, 10)))  # 10 vertices, not the free body's
    model = dict(type='ParametricMesh',
                 backbone=dict(type='TimmBackbone', model_name='hrnet_w32', pretrained=str(tmp_path / 'w.pth')),
                 mesh_head=dict(type='CLIFFHead', smpl_mean_params=osp.join(free, 'mean_params.npz')),
                 smpl=dict(type='SMPL', smpl_path=osp.join(free, 'body_model.npz'),
                           joints_regressor=str(tmp_path / 'regressor.npy')))
    body, regressor, mean, weights = check_model_files(model)
    assert [s.kind for s in (body, regressor, mean, weights)] == ['smpl', 'joints_regressor', 'mean_params',
                                                                  'pretrained']
    assert body.ok and mean.ok
    assert regressor.status == 'invalid' and '13348' in regressor.detail, regressor.describe()
    assert weights.status == 'missing' and 'timm/<model_name>' in weights.describe()
    np.save(tmp_path / 'regressor.npy', np.zeros((24, 13348)))
    assert check_model_files(model)[1].ok
