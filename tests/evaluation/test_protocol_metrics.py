"""PW3DError, MPIINF3DHPError and H36MActionError against values computed by hand."""
import shutil

import numpy as np
import pytest
import torch
from protocol_helpers import write_gendered_models

from mesh_recovery.body_models.smpl import SMPL
from mesh_recovery.conventions import (H36M_REGRESSOR_17, JOINT_ERROR_14, MPI_INF_3DHP_17, SPIN_24,
                                       joint_indices)
from mesh_recovery.evaluation import H36MActionError, JointError, MPIINF3DHPError, PW3DError
from mesh_recovery.geometry.alignment import align_by_procrustes


def _gt_batch(num=6, seed=0):
    rng = np.random.default_rng(seed)
    return {'data_samples': {
        'gt_pose': torch.as_tensor(rng.normal(0, 0.3, (num, 72)), dtype=torch.float32),
        'gt_betas': torch.as_tensor(rng.normal(0, 1, (num, 10)), dtype=torch.float32),
        'gender': torch.tensor([i % 2 for i in range(num)]),
    }}


def _posed(models, batch, gender=True):
    body = SMPL(models['smpl_path'])
    samples = batch['data_samples']
    return body(betas=samples['gt_betas'], pose=samples['gt_pose'],
                gender=samples['gender'] if gender else None).vertices.double().numpy()


def _by_hand(pred_v, gt_v, regressor):
    """The 3DPW protocol written out: regress, mid-hip root, 14 joints, errors in mm."""
    lsp = joint_indices(JOINT_ERROR_14, H36M_REGRESSOR_17)
    hips = joint_indices(('right_hip', 'left_hip'), H36M_REGRESSOR_17)
    out = []
    for v in (pred_v, gt_v):
        joints = np.einsum('kv,bvc->bkc', regressor, v)
        root = joints[:, hips].mean(axis=1, keepdims=True)
        out += [joints[:, lsp] - root, v - root]
    (pred_j, pred_c), (gt_j, gt_c) = out[:2], out[2:]
    mpjpe = np.linalg.norm(pred_j - gt_j, axis=-1).mean()
    pa = np.linalg.norm(align_by_procrustes(pred_j, gt_j) - gt_j, axis=-1).mean()
    pve = np.linalg.norm(pred_c - gt_c, axis=-1).mean()
    return 1000 * mpjpe, 1000 * pa, 1000 * pve


def _run(metric, batch, predictions):
    metric.process(batch, predictions)
    return metric.compute_metrics(metric.results)


def test_pw3d_gendered_ground_truth_is_used(gendered_models):
    batch = _gt_batch()
    gendered, neutral = _posed(gendered_models, batch), _posed(gendered_models, batch, gender=False)
    assert np.abs(gendered - neutral).max() > 0.01  # the genders really differ on the same parameters
    metric = PW3DError(gendered_models['smpl_path'], device='cpu')
    exact = _run(metric, batch, [{'vertices': v} for v in gendered.astype(np.float32)])
    assert exact['MPJPE'] == pytest.approx(0.0, abs=1e-3) and exact['PVE'] == pytest.approx(0.0, abs=1e-3)
    metric = PW3DError(gendered_models['smpl_path'], device='cpu')
    result = _run(metric, batch, [{'vertices': v} for v in neutral.astype(np.float32)])
    expected = _by_hand(neutral, gendered, np.load(gendered_models['regressor']))
    assert [result['MPJPE'], result['MPJPE-PA'], result['PVE']] == pytest.approx(list(expected), rel=1e-4)
    assert result['MPJPE'] > 1.0 and result['PVE'] > 1.0
    neutral_gt = PW3DError(gendered_models['smpl_path'], gt_gender='neutral', device='cpu')
    assert _run(neutral_gt, batch, [{'vertices': v} for v in neutral.astype(np.float32)])['PVE'] < 1e-3


def test_pw3d_root_alignment_and_params_path(gendered_models):
    batch = _gt_batch(num=4, seed=3)
    gendered = _posed(gendered_models, batch)
    shifted = gendered + np.array([0.3, -1.0, 2.0])  # a translation only: nothing to score
    metric = PW3DError(gendered_models['smpl_path'], device='cpu')
    result = _run(metric, batch, [{'vertices': v} for v in shifted.astype(np.float32)])
    assert result['MPJPE'] < 1e-3 and result['PVE'] < 1e-3
    # Predictions as parameters: the neutral model poses them.
    pose = batch['data_samples']['gt_pose'].numpy()
    from mesh_recovery.geometry.rotation import axis_angle_to_matrix
    rotmats = axis_angle_to_matrix(torch.as_tensor(pose).reshape(-1, 24, 3)).numpy()
    metric = PW3DError(gendered_models['smpl_path'], device='cpu')
    result = _run(metric, batch, [{'smpl_pose': r, 'smpl_beta': b}
                                  for r, b in zip(rotmats, batch['data_samples']['gt_betas'].numpy())])
    expected = _by_hand(_posed(gendered_models, batch, gender=False), gendered, np.load(gendered_models['regressor']))
    assert result['PVE'] == pytest.approx(expected[2], rel=1e-4)


def test_pw3d_names_the_missing_gendered_files(tmp_path):
    paths = write_gendered_models(tmp_path / 'neutral_only', genders=('NEUTRAL', 'MALE'))
    with pytest.raises(FileNotFoundError, match='SMPL_FEMALE.pkl'):
        PW3DError(paths['smpl_path'], device='cpu')
    assert PW3DError(paths['smpl_path'], gt_gender='neutral', device='cpu') is not None


def test_pw3d_missing_regressor_and_gt_keys(gendered_models, tmp_path):
    folder = tmp_path / 'no_regressor'
    shutil.copytree(gendered_models['smpl_path'], folder)
    (folder / 'J_regressor_h36m.npy').unlink()
    with pytest.raises(FileNotFoundError, match='J_regressor_h36m.npy'):
        PW3DError(str(folder), device='cpu')
    metric = PW3DError(gendered_models['smpl_path'], device='cpu')
    with pytest.raises(KeyError, match='gt_pose'):
        metric.process({'data_samples': {}}, [{'vertices': np.zeros((72, 3), np.float32)}])


def _gt_3dhp(num=3, seed=0):
    rng = np.random.default_rng(seed)
    gt = np.zeros((num, 24, 4))
    slots = joint_indices(MPI_INF_3DHP_17, SPIN_24)
    gt[:, slots, :3] = rng.integers(-800, 800, (num, 17, 3)) / 1000.0
    gt[:, slots, 3] = 1.0
    gt[:, slots[14], :3] = 0.0  # SPIN's file is pelvis-centred
    return gt


def test_3dhp_every_joint_but_the_root_off_by_102mm():
    # 102 mm, not 100: metres -> mm rounding must not land an error on the 100 mm threshold.
    gt = _gt_3dhp()
    pred = gt[..., :3].copy()
    slots = joint_indices(MPI_INF_3DHP_17, SPIN_24)
    pred[:, slots[:14], 0] += 0.102
    pred[:, slots[15:], 0] += 0.102
    pred += np.array([1.0, 2.0, 3.0])  # a global shift: removed by the root
    result = _run(MPIINF3DHPError(), {}, [{'keypoints_3d': p, 'gt_keypoints_3d': g} for p, g in zip(pred, gt)])
    assert result['MPJPE'] == pytest.approx(102.0 * 16 / 17)
    assert result['PCK'] == pytest.approx(100.0)
    assert result['AUC'] == pytest.approx(100.0 * (16 * 10 + 30) / (17 * 31))
    assert result['MPJPE-PA'] < result['MPJPE'] and result['PA-PCK'] == pytest.approx(100.0)


def test_3dhp_procrustes_forms_and_visibility():
    gt = _gt_3dhp(num=2, seed=1)
    rotation = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    pred = 1.5 * gt[..., :3] @ rotation.T
    hidden = joint_indices(('left_wrist', ), SPIN_24)[0]
    pred[:, hidden] += 5.0  # far off, but not visible
    gt[:, hidden, 3] = 0.0
    result = _run(MPIINF3DHPError(), {}, [{'keypoints_3d': p, 'gt_keypoints_3d': g} for p, g in zip(pred, gt)])
    assert result['MPJPE'] > 100.0 and result['PCK'] < 100.0
    # The hidden joint still takes part in the alignment fit; its error does not count.
    assert result['PA-AUC'] <= 100.0 * 30 / 31 + 1e-9


def test_3dhp_through_the_h36m_regressor(gendered_models):
    batch = _gt_batch(num=3)
    vertices = _posed(gendered_models, batch, gender=False)
    joints = np.einsum('kv,bvc->bkc', np.load(gendered_models['regressor']), vertices)
    gt = np.zeros((3, 24, 4))
    gt[:, joint_indices(H36M_REGRESSOR_17, SPIN_24), :3] = joints
    gt[:, joint_indices(H36M_REGRESSOR_17, SPIN_24), 3] = 1.0
    metric = MPIINF3DHPError(pred_source='h36m_regressor', smpl_path=gendered_models['smpl_path'], device='cpu')
    result = _run(metric, {}, [{'vertices': v.astype(np.float32), 'gt_keypoints_3d': g}
                               for v, g in zip(vertices, gt)])
    assert result['MPJPE'] < 1e-3 and result['PCK'] == 100.0


def test_h36m_per_action_on_the_real_fixture(fixtures_dir):
    ann_file = fixtures_dir / 'h36m' / 'test_h36m.npz'
    gt = np.load(ann_file)['S'].astype(np.float64)
    rng = np.random.default_rng(0)
    pred = gt[..., :3] + rng.normal(0, 0.05, gt[..., :3].shape)
    order = [2, 0, 3, 1]  # samples arrive in any order; sample_idx names them
    predictions = [{'keypoints_3d': pred[i], 'gt_keypoints_3d': gt[i], 'sample_idx': np.int64(i)} for i in order]
    result = _run(H36MActionError(str(ann_file)), {}, predictions)
    overall = _run(JointError(), {}, predictions)
    assert result['MPJPE'] == pytest.approx(overall['MPJPE'])
    for i, action in enumerate(['Directions', 'SittingDown', 'Greeting', 'WalkDog']):
        single = _run(JointError(), {}, [predictions[order.index(i)]])
        assert result[f'MPJPE/{action}'] == pytest.approx(single['MPJPE'])
        assert result[f'MPJPE-PA/{action}'] == pytest.approx(single['MPJPE-PA'])


def test_h36m_per_action_rejects_foreign_indices(fixtures_dir):
    ann_file = fixtures_dir / 'h36m' / 'test_h36m.npz'
    gt = np.load(ann_file)['S']
    metric = H36MActionError(str(ann_file))
    with pytest.raises(IndexError, match='sample_idx 9'):
        metric.process({}, [{'keypoints_3d': gt[0, :, :3], 'gt_keypoints_3d': gt[0], 'sample_idx': 9}])


def test_mean_pose_baseline_feeds_the_mean_parameters(gendered_models, tmp_path):
    from protocol_helpers import write_3dpw_npz

    from mesh_recovery.evaluation.mean_pose_baseline import mean_pose_baseline
    from mesh_recovery.geometry.rotation import axis_angle_to_matrix, matrix_to_rot6d
    arrays = write_3dpw_npz(tmp_path / '3dpw.npz', num=5)
    # Mean parameters equal to sample 0's: that sample scores 0 with the neutral ground truth.
    rot6d = matrix_to_rot6d(axis_angle_to_matrix(torch.as_tensor(arrays['pose'][0]).reshape(24, 3).float()))
    np.savez(tmp_path / 'mean.npz', pose=rot6d.reshape(-1).numpy(), shape=arrays['shape'][0], cam=np.zeros(3))
    metric = PW3DError(gendered_models['smpl_path'], gt_gender='neutral', device='cpu')
    result = mean_pose_baseline(metric, str(tmp_path / '3dpw.npz'), str(tmp_path / 'mean.npz'), batch_size=2)
    assert len(metric.results) == 3 and np.concatenate([r['pve'] for r in metric.results])[0] < 1e-6
    assert result['PVE'] > 1.0
