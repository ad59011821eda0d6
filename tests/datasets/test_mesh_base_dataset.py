"""MeshBaseDataset / MeshH36MDataset / MoshDataset on the real fixtures and synthetic files."""
import numpy as np
import pytest

from mesh_recovery.datasets import MeshBaseDataset, MeshH36MDataset, MoshDataset
from mesh_recovery.registry import DATASETS
from mesh_recovery.utils.errors import BadFileError

from dataset_helpers import H36M_NAMES, write_spin_npz


def test_real_h36m_file_values(fixtures_dir):
    ann = np.load(fixtures_dir / 'h36m' / 'test_h36m.npz')
    dataset = DATASETS.build(dict(type='MeshBaseDataset', ann_file=str(fixtures_dir / 'h36m' / 'test_h36m.npz'),
                                  img_prefix=str(fixtures_dir / 'h36m')))
    assert len(dataset) == 4
    for i in range(4):
        info = dataset.get_data_info(i)
        assert info['img_path'] == str(fixtures_dir / 'h36m' / H36M_NAMES[i])
        np.testing.assert_allclose(info['center'], ann['center'][i], rtol=1e-6)
        np.testing.assert_allclose(info['scale'], ann['scale'][i], rtol=1e-6)
        np.testing.assert_allclose(info['keypoints_2d'], ann['part'][i], rtol=1e-6)
        np.testing.assert_allclose(info['keypoints_3d'], ann['S'][i], rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(info['pose'], ann['pose'][i], rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(info['betas'], ann['shape'][i], rtol=1e-6, atol=1e-7)
        # pose and shape are present and there is no per-sample flag: all samples have SMPL.
        assert info['has_smpl'] == 1.0 and info['gender'] == -1 and info['sample_idx'] == i
        assert info['keypoints_2d'].dtype == np.float32 and info['rotation'] == 0


def test_info_is_a_fresh_copy(fixtures_dir):
    dataset = MeshBaseDataset(str(fixtures_dir / 'h36m' / 'test_h36m.npz'))
    info = dataset.get_data_info(0)
    info['keypoints_2d'][:] = -5
    info['pose'][:] = -5
    assert (dataset.get_data_info(0)['keypoints_2d'] != -5).any()
    assert not dataset.columns['pose'].flags.writeable


def test_h36m_evaluation_set_reads_only_s(tmp_path, fixtures_dir):
    # h36m_valid_protocol*.npz hold imgname, center, scale and S only.
    ann = dict(np.load(fixtures_dir / 'h36m' / 'test_h36m.npz'))
    path = tmp_path / 'h36m_valid_protocol2.npz'
    np.savez(path, **{k: ann[k] for k in ('imgname', 'center', 'scale', 'S')})
    dataset = MeshH36MDataset(str(path), img_prefix=str(fixtures_dir / 'h36m'), test_mode=True)
    info = dataset.get_data_info(2)
    np.testing.assert_allclose(info['keypoints_3d'], ann['S'][2], rtol=1e-6, atol=1e-7)
    assert info['has_smpl'] == 0 and not info['pose'].any() and not info['betas'].any()
    assert not info['keypoints_2d'].any()  # absent 2D joints: zero visibility, no invented values
    assert dataset.metainfo['default_evaluator'] == dict(type='JointError')


def test_h36m_evaluate_joint_error(fixtures_dir):
    dataset = MeshH36MDataset(str(fixtures_dir / 'h36m' / 'test_h36m.npz'))
    gt = dataset.columns['keypoints_3d'].astype(np.float64)
    exact = [dict(keypoints_3d=g[:, :3] + 0.3, gt_keypoints_3d=g) for g in gt]
    result = dataset.evaluate(exact, metric='joint_error')
    assert result['MPJPE'] == pytest.approx(0, abs=1e-6) and result['MPJPE-PA'] == pytest.approx(0, abs=1e-6)
    # Scaling each skeleton by 1.1 about its mid-hip: MPJPE = 0.1 * mean joint distance to the root.
    scored = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 18]
    root = (gt[:, 2:3, :3] + gt[:, 3:4, :3]) / 2
    scaled = [dict(keypoints_3d=root[i] + 1.1 * (g[:, :3] - root[i]), gt_keypoints_3d=g) for i, g in enumerate(gt)]
    expected = 1000 * 0.1 * np.linalg.norm(gt[:, scored, :3] - root, axis=-1).mean()
    result = dataset.evaluate(scaled)
    assert result['MPJPE'] == pytest.approx(expected, rel=1e-6)
    assert result['MPJPE-PA'] == pytest.approx(0, abs=1e-3)
    with pytest.raises(KeyError, match='pck'):
        dataset.evaluate(scaled, metric='pck')


def test_missing_required_key_names_file_and_keys(tmp_path):
    path = tmp_path / 'broken.npz'
    np.savez(path, imgname=np.array(['a.jpg']), scale=np.ones(1), part=np.zeros((1, 24, 3)))
    with pytest.raises(BadFileError) as err:
        MeshBaseDataset(str(path))
    message = str(err.value)
    assert 'broken.npz' in message and "['center']" in message and "'part'" in message and "'scale'" in message


def test_absent_optional_keys_give_zero_flags(tmp_path):
    path = tmp_path / 'bare.npz'
    arrays = write_spin_npz(path, 5, keys=())
    dataset = MeshBaseDataset(str(path), data_prefix=dict(img='imgs'), data_root=str(tmp_path))
    columns = dataset.columns
    assert not columns['keypoints_2d'].any() and not columns['keypoints_3d'].any()
    assert not columns['pose'].any() and not columns['betas'].any() and not columns['has_smpl'].any()
    assert (columns['gender'] == -1).all()
    assert dataset.get_data_info(3)['img_path'] == str(tmp_path / 'imgs' / arrays['imgname'][3])


def test_per_sample_has_smpl_and_gender(tmp_path):
    path = tmp_path / 'flags.npz'
    has_smpl = np.array([1, 0, 1, 0, 0, 1])
    gender = np.array(['m', 'f', 'n', 'f', 'm', ''])
    write_spin_npz(path, 6, extra=dict(has_smpl=has_smpl, gender=gender))
    dataset = MeshBaseDataset(str(path))
    np.testing.assert_array_equal(dataset.columns['has_smpl'], has_smpl)
    np.testing.assert_array_equal(dataset.columns['gender'], [0, 1, -1, 1, 0, -1])
    assert dataset.get_data_info(1)['has_smpl'] == 0.0


def test_has_smpl_without_parameters_is_rejected(tmp_path):
    path = tmp_path / 'liar.npz'
    write_spin_npz(path, 3, keys=('part', ), extra=dict(has_smpl=np.ones(3)))
    with pytest.raises(ValueError, match=r"liar.npz.*has_smpl.*\['pose', 'shape'\]"):
        MeshBaseDataset(str(path))


def test_wrong_shape_is_rejected(tmp_path):
    path = tmp_path / 'bad_shape.npz'
    write_spin_npz(path, 3, extra=dict(S=np.zeros((3, 17, 4))))
    with pytest.raises(ValueError, match=r"bad_shape.npz.*'S'.*\(3, 24, 4\).*\(3, 17, 4\)"):
        MeshBaseDataset(str(path))


def test_indices_lazy_init_and_subset(tmp_path):
    path = tmp_path / 'ten.npz'
    arrays = write_spin_npz(path, 10)
    lazy = MeshBaseDataset(str(path), indices=[7, 2], lazy_init=True)
    assert not lazy._fully_initialized
    assert len(lazy) == 2 and lazy.get_data_info(0)['img_path'].endswith(arrays['imgname'][7])
    full = MeshBaseDataset(str(path))
    subset = full.get_subset([4, 5, 6])
    assert len(subset) == 3 and len(full) == 10
    np.testing.assert_allclose(subset.get_data_info(-1)['pose'], arrays['pose'][6], rtol=1e-6)
    with pytest.raises(IndexError, match='out of range'):
        full.get_data_info(10)


def test_data_cfg_validation(tmp_path):
    path = tmp_path / 'cfg.npz'
    write_spin_npz(path, 2)
    cfg = dict(image_size=[224, 224], iuv_size=[64, 64], num_joints=24, use_IUV=False, uv_type='BF')
    MeshBaseDataset(str(path), data_cfg=cfg, pipeline=[dict(type='MeshAffine', img_res=224)])
    with pytest.raises(ValueError, match='crops to 256'):
        MeshBaseDataset(str(path), data_cfg=cfg, pipeline=[dict(type='MeshAffine', img_res=256)])
    with pytest.raises(ValueError, match='num_joints'):
        MeshBaseDataset(str(path), data_cfg=dict(cfg, num_joints=17))
    with pytest.raises(ValueError, match='IUV'):
        MeshBaseDataset(str(path), data_cfg=dict(cfg, use_IUV=True))


def test_mosh_theta_layout(fixtures_dir):
    ann = np.load(fixtures_dir / 'mosh' / 'test_mosh.npz')
    dataset = DATASETS.build(dict(type='MoshDataset', ann_file=str(fixtures_dir / 'mosh' / 'test_mosh.npz')))
    assert len(dataset) == len(ann['pose']) == 4
    for i in range(4):
        theta = dataset[i]['mosh_theta']
        assert theta.shape == (85, ) and theta.dtype == np.float32
        assert not theta[:3].any()
        np.testing.assert_allclose(theta[3:75], ann['pose'][i], rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(theta[75:], ann['shape'][i], rtol=1e-6, atol=1e-7)


def test_mosh_missing_key(tmp_path):
    path = tmp_path / 'mosh.npz'
    np.savez(path, pose=np.zeros((2, 72)))
    with pytest.raises(BadFileError, match=r"mosh.npz.*\['shape'\].*\['pose'\]"):
        MoshDataset(str(path))
