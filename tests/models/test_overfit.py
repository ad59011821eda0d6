"""End-to-end sanity: the full adversarial model memorises four synthetic samples."""
import torch

from mesh_recovery.engine import MultiOptimWrapperConstructor
from mesh_recovery.registry import MODELS

STEPS = 30
IMG_RES = 64


def _mesh_loss(model, batch):
    """Sum of the mesh losses in eval mode (no dropout), without the adversarial term."""
    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(batch, False)
        losses = model.generator_loss(model.extract(data['inputs']), data['data_samples'])
    model.train()
    return sum(v.item() for k, v in losses.items() if k != 'loss_adv')


def test_overfits_four_samples(model_cfg, make_batch, mean_params_path):
    torch.manual_seed(0)
    model = MODELS.build(model_cfg(
        img_res=IMG_RES, mesh_head=dict(type='HMRMeshHead', in_channels=512, smpl_mean_params=mean_params_path)))
    wrappers = MultiOptimWrapperConstructor(dict(
        generator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=2.5e-4)),
        discriminator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4))))(model)
    batch = make_batch(model.smpl, batch=4, img_res=IMG_RES)
    model.train()
    before = _mesh_loss(model, batch)
    for _ in range(STEPS):
        logs = model.train_step(batch, wrappers)
        assert all(torch.isfinite(v) for v in logs.values())
    after = _mesh_loss(model, batch)
    assert after < before / 5, f'mesh loss {before:.3f} -> {after:.3f} after {STEPS} steps'
