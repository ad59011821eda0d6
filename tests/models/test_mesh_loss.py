"""MeshLoss against hand-computed values."""
import math

import pytest
import torch

from mesh_recovery.geometry.camera import project_to_crop
from mesh_recovery.geometry.rotation import axis_angle_to_matrix, matrix_to_axis_angle
from mesh_recovery.models.losses import MeshLoss


def _perfect_case():
    g = torch.Generator().manual_seed(0)
    joints = 0.3 * torch.randn(2, 24, 3, generator=g)
    camera = torch.tensor([[0.9, 0.1, -0.1], [1.1, -0.05, 0.2]])
    rotmat = axis_angle_to_matrix(0.5 * torch.randn(2, 24, 3, generator=g))
    vertices = torch.randn(2, 5, 3, generator=g)
    betas = torch.randn(2, 10, generator=g)
    ones = torch.ones(2, 24, 1)
    pred = dict(pred_rotmat=rotmat, pred_betas=betas, pred_camera=camera, pred_vertices=vertices,
                pred_keypoints_3d=joints)
    target = dict(
        gt_pose=matrix_to_axis_angle(rotmat).reshape(2, 72), gt_betas=betas.clone(), gt_vertices=vertices.clone(),
        gt_keypoints_2d=torch.cat([project_to_crop(joints, camera, focal_length=5000.0, img_res=224), ones], 2),
        gt_keypoints_3d=torch.cat([joints + torch.tensor([0.3, -0.2, 4.0]), ones], 2),
        has_smpl=torch.tensor([1.0, 0.0]))
    return pred, target


def test_identical_prediction_and_target_give_zero():
    pred, target = _perfect_case()
    losses = MeshLoss()(**pred, **target)
    assert set(losses) == {'loss_joints_2d', 'loss_joints_3d', 'loss_vertex', 'loss_smpl_pose', 'loss_smpl_beta'}
    for name, value in losses.items():
        assert value.item() == pytest.approx(0.0, abs=1e-6), name


def test_hand_computed_values():
    pred, target = _perfect_case()
    identity = torch.eye(3).expand(2, 24, 3, 3).clone()
    pred['pred_rotmat'] = identity.clone()
    pred['pred_rotmat'][:, 5] = axis_angle_to_matrix(torch.tensor([0.0, 0.0, math.pi / 2]))
    target['gt_pose'] = torch.zeros(2, 72)
    target['gt_vertices'][0] += 0.1
    target['gt_vertices'][1] += 5.0          # no SMPL: must not count
    target['gt_betas'][0] += 0.5
    target['gt_betas'][1] -= 3.0             # no SMPL: must not count
    target['gt_keypoints_3d'][0, 0, 0] += 0.5
    target['gt_keypoints_3d'][1, 0, 0] += 3.0
    target['gt_keypoints_3d'][1, 0, 3] = 0.0  # invisible: must not count
    target['gt_keypoints_2d'][1, 4, 0] += 2.0
    target['gt_keypoints_2d'][0, 7, 1] += 9.0
    target['gt_keypoints_2d'][0, 7, 2] = 0.0  # invisible: must not count
    losses = MeshLoss()(**pred, **target)
    expected = {
        'loss_vertex': 0.1 * 20,                          # L1 0.1 over the has_smpl sample
        'loss_smpl_beta': 0.25 * 0.2,                     # MSE of 0.5
        'loss_smpl_pose': 4.0 / (24 * 9) * 30,            # |Rz(90) - I|^2 = 4 over 24x9 entries
        'loss_joints_3d': 0.5 * 0.5 ** 2 / (2 * 24 * 3) * 1000,  # SmoothL1(0.5) over all entries
        'loss_joints_2d': (2.0 - 0.5) / (2 * 24 * 2) * 100,     # SmoothL1(2) over all entries
    }
    for name, value in expected.items():
        assert losses[name].item() == pytest.approx(value, rel=1e-4), name


@pytest.mark.parametrize('criterion, per_3d, per_2d', [('l1', 0.5, 2.0), ('mse', 0.25, 4.0)])
def test_keypoint_criterion_replaces_smooth_l1_in_both_keypoint_terms(criterion, per_3d, per_2d):
    pred, target = _perfect_case()
    target['gt_keypoints_3d'][0, 0, 0] += 0.5
    target['gt_keypoints_2d'][1, 4, 0] += 2.0
    target['gt_keypoints_2d'][0, 7, 1] += 9.0
    target['gt_keypoints_2d'][0, 7, 2] = 0.0  # invisible: must not count
    losses = MeshLoss(keypoint_criterion=criterion)(**pred, **target)
    assert losses['loss_joints_3d'].item() == pytest.approx(per_3d / (2 * 24 * 3) * 1000, rel=1e-4)
    assert losses['loss_joints_2d'].item() == pytest.approx(per_2d / (2 * 24 * 2) * 100, rel=1e-4)
    assert losses['loss_vertex'].item() == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match="keypoint_criterion must be one of .*'huber'"):
        MeshLoss(keypoint_criterion='huber')


def test_3d_loss_is_translation_invariant_but_not_shape_invariant():
    pred, target = _perfect_case()
    target['gt_keypoints_3d'][..., :3] += 10.0
    assert MeshLoss()(**pred, **target)['loss_joints_3d'].item() == pytest.approx(0.0, abs=1e-6)
    target['gt_keypoints_3d'][:, 2, :3] += 0.2  # move a hip: shifts the root and every centred joint
    assert MeshLoss()(**pred, **target)['loss_joints_3d'].item() > 1.0


def test_batch_without_smpl_gives_zero_not_nan():
    pred, target = _perfect_case()
    target['has_smpl'] = torch.zeros(2)
    target['gt_vertices'] += 1.0
    losses = MeshLoss()(**pred, **target)
    for name in ('loss_vertex', 'loss_smpl_pose', 'loss_smpl_beta'):
        assert losses[name].item() == 0.0


def test_weights_scale_the_terms():
    pred, target = _perfect_case()
    target['gt_vertices'][0] += 0.1
    assert MeshLoss(vertex_loss_weight=1.0)(**pred, **target)['loss_vertex'].item() == pytest.approx(0.1)


def test_joint_count_mismatch_is_explained():
    pred, target = _perfect_case()
    pred['pred_keypoints_3d'] = pred['pred_keypoints_3d'][:, :17]
    with pytest.raises(ValueError, match='joints regressor'):
        MeshLoss()(**pred, **target)
