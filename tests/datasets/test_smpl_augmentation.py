"""Flip and rotation augmentation agree with the body model (symmetric tiny SMPL model)."""
import os

import cv2
import numpy as np
import torch

from mesh_recovery.body_models import SMPL
from mesh_recovery.datasets import MeshBaseDataset
from mesh_recovery.datasets.transforms import MeshRandomFlip

MIRROR = torch.tensor([-1.0, 1.0, 1.0])


def _body_model(symmetric_body_model):
    return SMPL(os.path.dirname(symmetric_body_model['model']), joints_regressor=symmetric_body_model['regressor'])


def _random_params(seed, num):
    rng = np.random.default_rng(seed)
    pose = rng.normal(0, 0.4, (num, 72)).astype(np.float32)
    betas = rng.normal(0, 1.0, (num, 10)).astype(np.float32)
    return pose, betas


def test_flipped_pose_gives_mirrored_mesh(symmetric_body_model):
    smpl = _body_model(symmetric_body_model)
    mirror_vertex = torch.as_tensor(symmetric_body_model['mirror_vertex'])
    pose, betas = _random_params(0, 6)
    with torch.no_grad():
        out = smpl(torch.from_numpy(betas), torch.from_numpy(pose))
    for i in range(len(pose)):
        keypoints_3d = np.concatenate([out.joints[i].numpy(), np.ones((24, 1), np.float32)], 1)
        results = MeshRandomFlip.flip(dict(
            img=np.zeros((8, 8, 3), np.uint8), center=np.zeros(2, np.float32), keypoints_2d=np.zeros((24, 3)),
            keypoints_3d=keypoints_3d, pose=pose[i].copy()))
        with torch.no_grad():
            flipped = smpl(torch.from_numpy(betas[i:i + 1]), torch.from_numpy(results['pose'][None]))
        # The mesh of the flipped pose is the mirror image of the original mesh.
        mirrored = out.vertices[i] * MIRROR
        torch.testing.assert_close(flipped.vertices[0, mirror_vertex], mirrored, atol=1e-5, rtol=0)
        assert (flipped.vertices[0] - out.vertices[i]).abs().max() > 0.05
        # ... and the flipped 3D joints are the joints of the flipped pose.
        np.testing.assert_allclose(flipped.joints[0].numpy(), results['keypoints_3d'][:, :3], atol=1e-5)


def _write_synthetic_set(directory, smpl, num):
    """A SPIN-format file whose S are the body model's joints (has_smpl = 1), with images."""
    pose, betas = _random_params(1, num)
    pose[:, :3] = np.random.default_rng(2).normal(0, 1.0, (num, 3))
    with torch.no_grad():
        joints = smpl(torch.from_numpy(betas), torch.from_numpy(pose)).joints.numpy()
    joints = joints + np.array([0.1, -0.2, 4.0], np.float32)
    names = [f'synthetic_{i}.png' for i in range(num)]
    for name in names:
        cv2.imwrite(str(directory / name), np.full((96, 128, 3), 90, np.uint8))
    np.savez(directory / 'synthetic_train.npz', imgname=np.array(names), center=np.tile([64.0, 48.0], (num, 1)),
             scale=np.full(num, 0.4), part=np.concatenate([np.full((num, 24, 2), 50.0), np.ones((num, 24, 1))], -1),
             S=np.concatenate([joints, np.ones((num, 24, 1))], -1), pose=pose, shape=betas,
             has_smpl=np.ones(num))
    return str(directory / 'synthetic_train.npz')


def test_rotation_keeps_pose_and_joints_consistent(symmetric_body_model, tmp_path):
    smpl = _body_model(symmetric_body_model)
    ann_file = _write_synthetic_set(tmp_path, smpl, 12)
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='MeshRandomFlip', flip_prob=0.5),
        dict(type='MeshGetRandomScaleRotation', rot_factor=30, scale_factor=0.25, rot_prob=1.0),
        dict(type='MeshAffine', img_res=64),
    ]
    dataset = MeshBaseDataset(ann_file, img_prefix=str(tmp_path), pipeline=pipeline)
    samples = [dataset[i] for i in range(len(dataset))]
    assert all(s['has_smpl'] == 1 for s in samples) and all(abs(s['rotation']) > 0 for s in samples)
    assert 0 < sum(s['flip'] for s in samples) < len(samples)
    pose = torch.from_numpy(np.stack([s['pose'] for s in samples]))
    betas = torch.from_numpy(np.stack([s['betas'] for s in samples]))
    with torch.no_grad():
        joints = smpl(betas, pose).joints.numpy()
    target = np.stack([s['keypoints_3d'][:, :3] for s in samples])
    # The image rotates about the camera axis, the body about its root: compare root-relative.
    def centred(j):
        return j - (j[:, 2:3] + j[:, 3:4]) / 2

    np.testing.assert_allclose(centred(joints), centred(target), atol=2e-5)
    original = dataset.columns['keypoints_3d'][:, :, :3]
    assert np.abs(centred(original) - centred(target)).max() > 0.05
