"""Tiny SMPL-layout body model and synthetic batches for model tests."""
from pathlib import Path

import numpy as np
import pytest
import torch

from mesh_recovery.conventions import smpl_parents

FIXTURES = Path(__file__).resolve().parents[2] / '..' / 'shared' / 'fixtures' / 'mmpose_v0.29'
MEAN_PARAMS = FIXTURES / 'smpl' / 'smpl_mean_params.npz'
NUM_VERTICES = 96


def write_tiny_body_model(folder: Path, seed: int = 0) -> dict:
    """Write a small official-layout SMPL npz and a (24, V) SPIN-24-style regressor.

    Vertices are scattered around the joints of a T-pose-like skeleton, each
    skinned to its own joint, so posing moves them like a body.
    """
    rng = np.random.default_rng(seed)
    parents = np.asarray(smpl_parents(), dtype=np.int64)
    offsets = rng.normal(0.0, 0.12, size=(24, 3))
    offsets[0] = 0.0
    joints = np.zeros((24, 3))
    for j in range(1, 24):
        joints[j] = joints[parents[j]] + offsets[j]
    owner = np.arange(NUM_VERTICES) % 24
    v_template = joints[owner] + rng.normal(0.0, 0.03, size=(NUM_VERTICES, 3))
    weights = np.full((NUM_VERTICES, 24), 0.02)
    weights[np.arange(NUM_VERTICES), owner] = 1.0
    weights /= weights.sum(1, keepdims=True)
    j_regressor = (owner[None] == np.arange(24)[:, None]).astype(np.float64)
    j_regressor /= j_regressor.sum(1, keepdims=True)
    spin_regressor = rng.uniform(0.0, 1.0, size=(24, NUM_VERTICES)) * (rng.uniform(size=(24, NUM_VERTICES)) < 0.1)
    spin_regressor[np.arange(24), np.arange(24)] += 1.0
    spin_regressor /= spin_regressor.sum(1, keepdims=True)
    model = dict(
        v_template=v_template.astype(np.float32),
        shapedirs=rng.normal(0.0, 0.01, size=(NUM_VERTICES, 3, 10)).astype(np.float32),
        posedirs=rng.normal(0.0, 0.002, size=(NUM_VERTICES, 3, 207)).astype(np.float32),
        J_regressor=j_regressor.astype(np.float32),
        weights=weights.astype(np.float32),
        kintree_table=np.stack([parents, np.arange(24)]).astype(np.int64),
        f=rng.integers(0, NUM_VERTICES, size=(2 * NUM_VERTICES, 3)).astype(np.int64),
    )
    folder.mkdir(parents=True, exist_ok=True)
    np.savez(folder / 'SMPL_NEUTRAL.npz', **model)
    np.save(folder / 'joints_regressor.npy', spin_regressor.astype(np.float32))
    return dict(smpl_path=str(folder / 'SMPL_NEUTRAL.npz'), joints_regressor=str(folder / 'joints_regressor.npy'))


@pytest.fixture(scope='session')
def tiny_smpl_cfg(tmp_path_factory) -> dict:
    paths = write_tiny_body_model(tmp_path_factory.mktemp('tiny_smpl'))
    return dict(type='SMPL', **paths)


@pytest.fixture(scope='session')
def mean_params_path() -> str:
    if not MEAN_PARAMS.is_file():
        pytest.skip(f'real-format fixture missing: {MEAN_PARAMS}')
    return str(MEAN_PARAMS)


def small_model_cfg(smpl_cfg: dict, with_disc: bool = True, **overrides) -> dict:
    """ParametricMesh config with a ResNet-18 for fast tests."""
    cfg = dict(
        type='ParametricMesh',
        backbone=dict(type='ResNet', depth=18),
        mesh_head=dict(type='HMRMeshHead', in_channels=512),
        smpl=smpl_cfg,
        loss_mesh=dict(type='MeshLoss'),
        data_preprocessor=dict(type='ImgDataPreprocessor', mean=[123.675, 116.28, 103.53],
                               std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    )
    if with_disc:
        cfg.update(discriminator=dict(type='SMPLDiscriminator'), loss_gan=dict(type='GANLoss', gan_type='lsgan'))
    cfg.update(overrides)
    return cfg


def synthetic_batch(smpl, batch: int = 4, img_res: int = 64, seed: int = 0) -> dict:
    """A collated batch in the data-contract format whose targets are consistent with ``smpl``.

    Ground truth comes from random SMPL parameters posed by ``smpl`` and projected
    with a random weak-perspective camera, so a model can fit it exactly.
    """
    from mesh_recovery.geometry.camera import project_to_crop
    g = torch.Generator().manual_seed(seed)
    pose = 0.3 * torch.randn(batch, 72, generator=g)
    pose[:, :3] = torch.tensor([np.pi, 0.0, 0.0])  # upright, facing the camera as in SPIN data
    betas = torch.randn(batch, 10, generator=g)
    camera = torch.stack([0.8 + 0.2 * torch.rand(batch, generator=g), 0.1 * torch.randn(batch, generator=g),
                          0.1 * torch.randn(batch, generator=g)], dim=1)
    with torch.no_grad():
        joints = smpl(betas=betas, pose=pose).joints
        keypoints_2d = project_to_crop(joints, camera, focal_length=5000.0, img_res=img_res)
    ones = torch.ones(batch, 24, 1)
    mosh = torch.cat([torch.zeros(batch, 3), 0.3 * torch.randn(batch, 72, generator=g),
                      torch.randn(batch, 10, generator=g)], dim=1)
    samples = dict(
        gt_keypoints_2d=torch.cat([keypoints_2d, ones], dim=2),
        gt_keypoints_3d=torch.cat([joints + torch.tensor([0.0, 0.2, 5.0]), ones], dim=2),
        gt_pose=pose, gt_betas=betas, has_smpl=torch.ones(batch), gender=torch.full((batch,), -1),
        center=torch.rand(batch, 2, generator=g) * 500, scale=torch.rand(batch, generator=g) + 1,
        sample_idx=torch.arange(batch), mosh_theta=mosh)
    inputs = torch.randint(0, 256, (batch, 3, img_res, img_res), generator=g, dtype=torch.uint8)
    return dict(inputs=inputs, data_samples=samples)


@pytest.fixture(scope='session')
def model_cfg(tiny_smpl_cfg):
    """Factory: ``model_cfg(with_disc=True, **overrides)`` -> small ParametricMesh config."""
    return lambda with_disc=True, **overrides: small_model_cfg(tiny_smpl_cfg, with_disc, **overrides)


@pytest.fixture(scope='session')
def make_batch():
    """Factory: ``make_batch(smpl, batch=4, img_res=64, seed=0)`` -> collated synthetic batch."""
    return synthetic_batch


class BatchSamples(torch.utils.data.Dataset):
    """Per-sample view of a collated synthetic batch (what a pipeline would yield), SPIN-24 keypoints."""

    metainfo = dict(num_keypoints=24)

    def __init__(self, batch):
        self.batch = batch

    def __len__(self):
        return self.batch['inputs'].shape[0]

    def __getitem__(self, index):
        return dict(inputs=self.batch['inputs'][index],
                    data_samples={k: v[index] for k, v in self.batch['data_samples'].items()})


@pytest.fixture(scope='session')
def batch_dataset():
    """Factory: ``batch_dataset(batch)`` -> a Dataset of the samples of a collated batch."""
    return BatchSamples
