"""CLIFF: box information, crop -> full-image camera, full-image 2D loss, head and model."""
import math

import pytest
import torch

from mesh_recovery.engine import MultiOptimWrapperConstructor
from mesh_recovery.geometry.camera import perspective_projection, project_to_crop
from mesh_recovery.geometry.full_image_camera import cliff_bbox_info, crop_camera_to_full, project_full_to_box
from mesh_recovery.models.heads import CLIFFHead, HMRMeshHead
from mesh_recovery.models.losses import MeshLoss
from mesh_recovery.registry import MODELS


def _scene(batch=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    img_size = torch.stack([400 + 400 * torch.rand(batch, generator=g), 500 + 500 * torch.rand(batch, generator=g)], 1)
    focal = 600 + 1500 * torch.rand(batch, generator=g)
    center = img_size.flip(-1) * (0.2 + 0.6 * torch.rand(batch, 2, generator=g))
    box_size = 150 + 200 * torch.rand(batch, generator=g)
    cam = torch.stack([0.7 + 0.3 * torch.rand(batch, generator=g), 0.1 * torch.randn(batch, generator=g),
                       0.1 * torch.randn(batch, generator=g)], 1)
    return img_size, focal, center, box_size, cam


def test_bbox_info_is_clifs_normalised_equation_5():
    img_size = torch.tensor([[480.0, 640.0]])
    info = cliff_bbox_info(torch.tensor([[400.0, 200.0]]), torch.tensor([300.0]), img_size, torch.tensor([800.0]))
    # ((400 - 320) / 800 * 2.8, (200 - 240) / 800 * 2.8, (300 - 0.24 * 800) / (0.06 * 800))
    torch.testing.assert_close(info, torch.tensor([[0.28, -0.14, 2.25]]))


def test_full_camera_is_clifs_cam_crop2full():
    img_size, focal, center, box_size, cam = _scene()
    translation = crop_camera_to_full(cam, center, box_size, img_size, focal)
    bs = box_size * cam[:, 0]
    expected = torch.stack([2 * (center[:, 0] - img_size[:, 1] / 2) / bs + cam[:, 1],
                            2 * (center[:, 1] - img_size[:, 0] / 2) / bs + cam[:, 2], 2 * focal / bs], 1)
    torch.testing.assert_close(translation, expected)


def test_full_image_projection_agrees_with_the_crop_camera_where_they_coincide():
    """The box origin lands at (s tx, s ty) in both; for a box at the image centre with b / f = res / 5000,
    the full-image projection is the crop projection."""
    img_size, focal, center, box_size, cam = _scene()
    points = torch.randn(3, 24, 3) * 0.3
    origin = project_full_to_box(torch.zeros(3, 1, 3), crop_camera_to_full(cam, center, box_size, img_size, focal),
                                 center, box_size, img_size, focal)
    torch.testing.assert_close(origin[:, 0], cam[:, 1:] * cam[:, :1])
    centred = img_size.flip(-1) / 2
    focal_5000 = box_size / 224 * 5000
    full = project_full_to_box(points, crop_camera_to_full(cam, centred, box_size, img_size, focal_5000), centred,
                               box_size, img_size, focal_5000)
    torch.testing.assert_close(full, project_to_crop(points, cam, 5000.0, 224), rtol=1e-4, atol=1e-5)


def test_full_image_projection_is_the_pinhole_projection_in_box_units():
    img_size, focal, center, box_size, cam = _scene(seed=1)
    points = torch.randn(3, 24, 3) * 0.3
    translation = crop_camera_to_full(cam, center, box_size, img_size, focal)
    pixels = perspective_projection(points, translation, focal, img_size.flip(-1) / 2)
    expected = (pixels - center[:, None]) / (box_size[:, None, None] / 2)
    torch.testing.assert_close(project_full_to_box(points, translation, center, box_size, img_size, focal), expected)


def test_shapes_are_checked():
    with pytest.raises(ValueError, match='center and img_size must be'):
        cliff_bbox_info(torch.zeros(2, 3), torch.ones(2), torch.ones(2, 2), torch.ones(2))
    with pytest.raises(ValueError, match='need 2 values'):
        cliff_bbox_info(torch.zeros(2, 2), torch.ones(3), torch.ones(2, 2), torch.ones(2))


def test_head_reads_the_box_and_has_clifs_layout():
    torch.manual_seed(0)
    head = CLIFFHead(in_channels=32, dropout=0.0).eval()
    assert head.fc1.weight.shape == (1024, 32 + 3 + 144 + 10 + 3)
    assert set(head.state_dict()) == set(HMRMeshHead(in_channels=32).state_dict())
    feats = torch.randn(2, 32, 2, 2)
    info = torch.tensor([[0.1, -0.2, 0.3], [0.1, -0.2, 0.3]])
    first = head(feats, bbox_info=info)
    second = head(feats, bbox_info=info + torch.tensor([0.5, 0.0, 0.0]))
    assert (first.pred_camera - second.pred_camera).abs().max() > 1e-4
    # Only the box columns of fc1 see bbox_info: with them zeroed the box is ignored.
    with torch.no_grad():
        head.fc1.weight[:, 32:35] = 0
    torch.testing.assert_close(head(feats, bbox_info=info).pred_camera,
                               head(feats, bbox_info=info + 1).pred_camera)
    with pytest.raises(ValueError, match='needs bbox_info of shape'):
        head(feats)


def _full_image_targets(smpl, batch=4, img_res=64, seed=0):
    """A batch whose 2D targets are exact full-image projections of its 3D joints."""
    g = torch.Generator().manual_seed(seed)
    img_size, focal, center, box_size, cam = _scene(batch, seed)
    pose = 0.3 * torch.randn(batch, 72, generator=g)
    pose[:, :3] = torch.tensor([math.pi, 0.0, 0.0])
    betas = torch.randn(batch, 10, generator=g)
    with torch.no_grad():
        joints = smpl(betas=betas, pose=pose).joints
    translation = crop_camera_to_full(cam, center, box_size, img_size, focal)
    pixels = perspective_projection(joints, translation, focal, img_size.flip(-1) / 2)
    keypoints_2d = (pixels - center[:, None]) / (box_size[:, None, None] / 2)
    ones = torch.ones(batch, 24, 1)
    samples = dict(
        gt_keypoints_2d=torch.cat([keypoints_2d, ones], 2), gt_keypoints_3d=torch.cat([joints, ones], 2),
        gt_pose=pose, gt_betas=betas, has_smpl=torch.ones(batch), gender=torch.full((batch, ), -1),
        center=center, scale=box_size / 200, ori_shape=img_size, focal_length=focal,
        sample_idx=torch.arange(batch), mosh_theta=torch.cat([torch.zeros(batch, 3), pose, betas], 1))
    inputs = torch.randint(0, 256, (batch, 3, img_res, img_res), generator=g, dtype=torch.uint8)
    return dict(inputs=inputs, data_samples=samples), cam, joints


def test_full_image_2d_loss_is_zero_for_the_true_camera_only(tiny_smpl_cfg):
    smpl = MODELS.build(tiny_smpl_cfg)
    batch, cam, joints = _full_image_targets(smpl)
    s = batch['data_samples']
    common = dict(pred_rotmat=torch.eye(3).expand(4, 24, 3, 3), pred_betas=s['gt_betas'],
                  pred_vertices=torch.zeros(4, 5, 3), pred_keypoints_3d=joints, gt_pose=s['gt_pose'],
                  gt_betas=s['gt_betas'], gt_vertices=torch.zeros(4, 5, 3), gt_keypoints_2d=s['gt_keypoints_2d'],
                  gt_keypoints_3d=s['gt_keypoints_3d'], has_smpl=s['has_smpl'])
    box = dict(center=s['center'], scale=s['scale'], ori_shape=s['ori_shape'], img_focal_length=s['focal_length'])
    full = MeshLoss(img_res=64, joints_2d_frame='full')
    assert full(pred_camera=cam, **common, **box)['loss_joints_2d'] < 1e-8
    assert full(pred_camera=cam * 1.05, **common, **box)['loss_joints_2d'] > 1e-4
    # HMR's crop camera does not explain full-image targets of off-centre boxes.
    assert MeshLoss(img_res=64)(pred_camera=cam, **common)['loss_joints_2d'] > 1e-4
    with pytest.raises(KeyError, match="needs \\['center'"):
        full(pred_camera=cam, **common)
    with pytest.raises(ValueError, match="'crop' \\(HMR\\) or 'full'"):
        MeshLoss(joints_2d_frame='image')


def _cliff_model(model_cfg, mean_params=None):
    return MODELS.build(model_cfg(
        img_res=64, mesh_head=dict(type='CLIFFHead', in_channels=512, smpl_mean_params=mean_params, dropout=0.0),
        loss_mesh=dict(type='MeshLoss', joints_2d_frame='full')))


def test_model_feeds_the_box_and_predicts_the_full_camera(model_cfg, tiny_smpl_cfg):
    torch.manual_seed(0)
    model = _cliff_model(model_cfg).eval()
    batch, _, _ = _full_image_targets(model.smpl)
    data = model.data_preprocessor(batch, False)
    results = model.predict(data['inputs'], data['data_samples'])
    pred = model.extract(data['inputs'], data['data_samples'])
    s = data['data_samples']
    expected = crop_camera_to_full(pred.pred_camera, s['center'], s['scale'] * 200, s['ori_shape'], s['focal_length'])
    torch.testing.assert_close(torch.as_tensor(results[2]['camera_translation_full']), expected[2])
    moved = dict(s, center=s['center'] + 50)
    assert (model.extract(data['inputs'], moved).pred_camera - pred.pred_camera).abs().max() > 1e-5
    with pytest.raises(KeyError, match="lacks \\['ori_shape', 'focal_length'\\]"):
        model.extract(data['inputs'], {k: v for k, v in s.items() if k not in ('ori_shape', 'focal_length')})


def _mesh_loss(model, batch):
    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(batch, False)
        losses = model.generator_loss(model.extract(data['inputs'], data['data_samples']), data['data_samples'])
    model.train()
    return sum(v.item() for k, v in losses.items() if k != 'loss_adv')


def test_cliff_overfits_four_samples(model_cfg, mean_params_path):
    torch.manual_seed(0)
    model = _cliff_model(model_cfg, mean_params_path)
    wrappers = MultiOptimWrapperConstructor(dict(
        generator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=2.5e-4)),
        discriminator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4))))(model)
    batch, _, _ = _full_image_targets(model.smpl)
    model.train()
    before = _mesh_loss(model, batch)
    for _ in range(30):
        logs = model.train_step(batch, wrappers)
        assert all(torch.isfinite(v) for v in logs.values())
    after = _mesh_loss(model, batch)
    assert after < before / 5, f'mesh loss {before:.3f} -> {after:.3f} after 30 steps'
