from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import DefaultScope
from mmengine.structures import BaseDataElement
from scipy.spatial.transform import Rotation

from mesh_recovery.conventions import JOINT_ERROR_14, SPIN_24, joint_indices
from mesh_recovery.evaluation import JointError
from mesh_recovery.registry import METRICS

FIXTURE = (Path(__file__).resolve().parents[2] / '..' / 'shared' / 'fixtures' / 'mmpose_v0.29' / 'h36m' /
           'test_h36m.npz')
SCORED = joint_indices(JOINT_ERROR_14, SPIN_24)  # [0..12, 18]


@pytest.fixture
def gt_joints():
    """(4, 24, 4) real Human3.6M ground truth, metres, camera frame."""
    if not FIXTURE.is_file():
        pytest.skip(f'real-format fixture not found: {FIXTURE}')
    joints = np.load(FIXTURE)['S']
    # The hand-computed values below rely on all 14 scored joints being visible.
    assert joints.shape == (4, 24, 4) and np.all(joints[:, SCORED, 3] > 0)
    return joints


def _evaluate(pred_joints, gt_joints, **kwargs):
    metric = JointError(**kwargs)
    metric.process({}, [dict(keypoints_3d=p, gt_keypoints_3d=g) for p, g in zip(pred_joints, gt_joints)])
    return metric.evaluate(len(pred_joints))


def test_ground_truth_as_prediction_scores_zero(gt_joints):
    result = _evaluate(gt_joints[..., :3], gt_joints)
    assert set(result) == {'MPJPE', 'MPJPE-PA'}
    assert result['MPJPE'] == pytest.approx(0.0, abs=1e-9)
    assert result['MPJPE-PA'] == pytest.approx(0.0, abs=1e-9)


def test_translation_is_removed_by_root_centring(gt_joints):
    result = _evaluate(gt_joints[..., :3] + [0.3, -1.2, 2.5], gt_joints)
    assert result['MPJPE'] == pytest.approx(0.0, abs=1e-9)
    assert result['MPJPE-PA'] == pytest.approx(0.0, abs=1e-9)


def test_offset_on_one_joint_is_averaged_over_visible_joints(gt_joints):
    pred = gt_joints[..., :3].copy()
    pred[1, 0] += [0.03, 0.04, 0.0]  # right ankle of sample 1 off by 50 mm
    result = _evaluate(pred, gt_joints)
    assert result['MPJPE'] == pytest.approx(50.0 / 56, rel=1e-9)  # 4 samples x 14 visible joints
    # Procrustes spreads the offset over all joints (it minimises squared, not plain, errors).
    assert result['MPJPE-PA'] > 0.5


def test_root_is_the_mid_hip(gt_joints):
    pred = gt_joints[..., :3].copy()
    pred[2, 2] += [0.0, 0.0, 0.08]  # right hip off by 80 mm moves the root by 40 mm
    # Sample 2: 13 joints off by 40 mm, the right hip by 40 mm -> 14 x 40 mm over 56 joints.
    assert _evaluate(pred, gt_joints)['MPJPE'] == pytest.approx(14 * 40.0 / 56, rel=1e-9)


def test_joints_outside_the_14_are_ignored(gt_joints):
    pred = gt_joints[..., :3].copy()
    pred[:, [13, 14, 15, 16, 17, 19, 23]] += 1.0
    result = _evaluate(pred, gt_joints)
    assert result['MPJPE'] == pytest.approx(0.0, abs=1e-9)
    assert result['MPJPE-PA'] == pytest.approx(0.0, abs=1e-9)


def test_zero_visibility_excludes_a_joint(gt_joints):
    gt = gt_joints.copy()
    gt[2, 7, 3] = 0.0  # right elbow of sample 2 not visible
    pred = gt[..., :3].copy()
    pred[2, 7] += [1.0, 0.0, 0.0]  # ignored however large
    pred[0, 10] += [0.0, 0.03, 0.0]  # left elbow of sample 0 off by 30 mm, visible
    assert _evaluate(pred, gt)['MPJPE'] == pytest.approx(30.0 / 55, rel=1e-9)


def test_similarity_transform_is_removed_by_pa_only(gt_joints):
    rotation = Rotation.from_rotvec([0.2, 1.1, -0.4]).as_matrix()
    pred = 1.15 * gt_joints[..., :3] @ rotation.T + [0.1, 0.2, -0.3]
    result = _evaluate(pred, gt_joints)
    gt_14 = gt_joints[:, SCORED, :3]
    gt_centred = gt_14 - gt_14[:, 2:4].mean(1, keepdims=True)
    expected = 1000 * np.linalg.norm(1.15 * gt_centred @ rotation.T - gt_centred, axis=-1).mean()
    assert result['MPJPE-PA'] == pytest.approx(0.0, abs=1e-6)
    assert result['MPJPE'] == pytest.approx(expected, rel=1e-9)
    assert result['MPJPE'] > 100.0


def test_torch_tensors_and_data_elements_are_accepted(gt_joints):
    pred = gt_joints[..., :3].copy()
    pred[3, 5] += [0.0, -0.02, 0.0]
    metric = JointError(prefix='h36m')
    metric.process({}, [
        BaseDataElement(keypoints_3d=torch.tensor(p, dtype=torch.float32), gt_keypoints_3d=torch.tensor(g))
        for p, g in zip(pred, gt_joints)
    ])
    result = metric.evaluate(4)
    assert set(result) == {'h36m/MPJPE', 'h36m/MPJPE-PA'}
    # float32 keeps ~0.5 um at 5 m from the camera.
    assert result['h36m/MPJPE'] == pytest.approx(20.0 / 56, abs=2e-3)


def test_missing_key_and_bad_shape_raise(gt_joints):
    metric = JointError()
    with pytest.raises(KeyError, match=r"'gt_keypoints_3d'.*\['keypoints_3d', 'score'\]"):
        metric.process({}, [dict(keypoints_3d=gt_joints[0, :, :3], score=1.0)])
    with pytest.raises(ValueError, match=r'\(24, 4\).*\(24, 3\)'):
        metric.process({}, [dict(keypoints_3d=gt_joints[0, :, :3], gt_keypoints_3d=gt_joints[0, :, :3])])
    with pytest.raises(ValueError, match='root_names'):
        JointError(root_names=('pelvis_mpii', ))


def test_built_from_registry_and_by_an_evaluator(gt_joints):
    assert isinstance(METRICS.build(dict(type='JointError')), JointError)
    with DefaultScope.overwrite_default_scope('mesh_recovery'):
        assert isinstance(MMENGINE_METRICS.build(dict(type='JointError')), JointError)
        evaluator = Evaluator(dict(type='JointError'))
    pred = gt_joints[..., :3].copy()
    pred[0, 18] += [0.0, 0.0, 0.1]  # the H36M head (scored) off by 100 mm
    evaluator.process([dict(keypoints_3d=p, gt_keypoints_3d=g) for p, g in zip(pred, gt_joints)])
    assert evaluator.evaluate(4)['MPJPE'] == pytest.approx(100.0 / 56, rel=1e-9)


def test_ground_truth_comes_from_the_batch():
    """Under the runner the metric reads the loader's batch; predictions need carry no ground truth."""
    rng = np.random.default_rng(3)
    gt = np.concatenate([rng.normal(size=(2, 24, 3)), np.ones((2, 24, 1))], axis=2)
    pred = gt[:, :, :3] + 0.01 * rng.normal(size=(2, 24, 3))
    from_batch = JointError()
    from_batch.process({'data_samples': {'gt_keypoints_3d': torch.from_numpy(gt)}},
                       [dict(keypoints_3d=p) for p in pred])
    alone = JointError()
    alone.process({}, [dict(keypoints_3d=p, gt_keypoints_3d=g) for p, g in zip(pred, gt)])
    assert from_batch.compute_metrics(from_batch.results) == pytest.approx(alone.compute_metrics(alone.results))
    with pytest.raises(KeyError, match='gt_keypoints_3d'):
        JointError().process({}, [dict(keypoints_3d=p) for p in pred])
