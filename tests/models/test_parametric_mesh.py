"""ParametricMesh: checkpoint layout, predictions, and the adversarial training step."""
import numpy as np
import pytest
import torch
from mmengine.optim import OptimWrapper, OptimWrapperDict

from mesh_recovery.engine import MultiOptimWrapperConstructor
from mesh_recovery.registry import MODELS



@pytest.fixture
def build(model_cfg):
    def _build(**kwargs):
        torch.manual_seed(0)
        return MODELS.build(model_cfg(**kwargs))
    return _build


def _wrappers(model, gen_lr=1e-3, disc_lr=1e-3):
    return MultiOptimWrapperConstructor(dict(
        generator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=gen_lr)),
        discriminator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=disc_lr))))(model)


def _params(module):
    return {k: v.detach().clone() for k, v in module.named_parameters()}


def _changed(before, module):
    return {k for k, v in module.named_parameters() if not torch.equal(v, before[k])}


def _preprocessed(model, batch):
    data = model.data_preprocessor(batch, True)
    return data['inputs'], data['data_samples']


def test_checkpoint_holds_only_backbone_head_and_discriminator(build, make_batch):
    keys = build().state_dict().keys()
    assert {k.split('.')[0] for k in keys} == {'backbone', 'mesh_head', 'discriminator'}
    assert not [k for k in keys if k.startswith(('smpl.', 'generator.'))]


def test_predict_returns_the_data_contract(build, make_batch, tiny_smpl_cfg):
    model = build(return_vertices=True).eval()
    batch = make_batch(model.smpl)
    results = model.val_step(batch)
    assert len(results) == 4
    regressor = np.load(tiny_smpl_cfg['joints_regressor'])
    for i, res in enumerate(results):
        assert res['keypoints_3d'].shape == (24, 3) and res['smpl_pose'].shape == (24, 3, 3)
        assert res['smpl_beta'].shape == (10,) and res['camera'].shape == (3,)
        assert np.allclose(res['keypoints_3d'], regressor @ res['vertices'], atol=1e-5)
        assert np.array_equal(res['gt_keypoints_3d'], batch['data_samples']['gt_keypoints_3d'][i].numpy())
        assert np.allclose(res['center'], batch['data_samples']['center'][i].numpy())
        assert res['scale'] == pytest.approx(batch['data_samples']['scale'][i].item())
        assert res['sample_idx'] == i
        assert res['faces'].shape == (2 * 96, 3)
    # Predictions are the same in a batch and alone (eval mode, no batch statistics).
    alone = model.val_step(dict(inputs=batch['inputs'][1:2], data_samples=None))[0]
    assert np.allclose(alone['smpl_beta'], results[1]['smpl_beta'], atol=1e-4)
    assert 'center' not in alone


def test_gradients_reach_generator_only_from_the_generator_loss(build, make_batch):
    model = build().train()
    inputs, samples = _preprocessed(model, make_batch(model.smpl))
    generator = [model.backbone, model.mesh_head]

    sum(model.discriminator_loss(model.extract(inputs), samples).values()).backward()
    assert all(p.grad is None for m in generator for p in m.parameters())
    assert all(p.grad is not None for p in model.discriminator.parameters())
    assert any(p.grad.abs().sum() > 0 for p in model.discriminator.parameters())

    model.zero_grad(set_to_none=True)
    losses = model.generator_loss(model.extract(inputs), samples)
    assert set(losses) >= {'loss_adv', 'loss_vertex', 'loss_joints_2d'}
    sum(losses.values()).backward()
    assert all(p.grad is None for p in model.discriminator.parameters())
    assert all(p.requires_grad for p in model.discriminator.parameters())
    assert model.backbone.conv1.weight.grad.abs().sum() > 0
    assert model.mesh_head.fc1.weight.grad.abs().sum() > 0


def test_each_step_updates_only_its_own_part(build, make_batch):
    model = build().train()
    wrappers = _wrappers(model)
    inputs, samples = _preprocessed(model, make_batch(model.smpl))
    generator = torch.nn.ModuleList([model.backbone, model.mesh_head])

    gen_before, disc_before = _params(generator), _params(model.discriminator)
    logs = model.train_generator(model.extract(inputs), samples, wrappers['generator'])
    assert not _changed(disc_before, model.discriminator)
    assert _changed(gen_before, generator)
    assert logs['loss'].item() == pytest.approx(sum(v.item() for k, v in logs.items() if k != 'loss'), rel=1e-5)

    gen_before, disc_before = _params(generator), _params(model.discriminator)
    logs = model.train_discriminator(model.extract(inputs), samples, wrappers['discriminator'])
    assert not _changed(gen_before, generator)
    assert _changed(disc_before, model.discriminator)
    assert set(logs) == {'loss_disc', 'loss_disc_real', 'loss_disc_fake'}


def test_discriminator_steps_per_generator_step(build, make_batch):
    model = build(disc_steps_per_gen_step=2).train()
    wrappers = _wrappers(model)
    batch = make_batch(model.smpl)
    generator = torch.nn.ModuleList([model.backbone, model.mesh_head])
    for step, generator_moves in ((1, False), (2, True), (3, False)):
        gen_before, disc_before = _params(generator), _params(model.discriminator)
        logs = model.train_step(batch, wrappers)
        assert bool(_changed(gen_before, generator)) == generator_moves, step
        assert _changed(disc_before, model.discriminator), step
        assert {'loss_disc', 'loss_disc_real', 'loss_disc_fake'} <= set(logs)
        assert ({'loss', 'loss_adv', 'loss_vertex'} <= set(logs)) == generator_moves
        assert all(torch.isfinite(v) for v in logs.values())


def test_without_discriminator_one_optimizer(build, make_batch):
    model = build(with_disc=False).train()
    assert model.optim_groups() == {'generator': ['backbone', 'mesh_head']}
    wrapper = OptimWrapper(torch.optim.Adam(model.parameters(), lr=1e-3))
    before = _params(model)
    logs = model.train_step(make_batch(model.smpl), wrapper)
    assert 'loss_adv' not in logs and logs['loss'] > 0
    assert _changed(before, model)
    with pytest.raises(TypeError, match='no discriminator'):
        model.train_step(make_batch(model.smpl), OptimWrapperDict(generator=wrapper))


def test_discriminator_needs_two_wrappers_and_mosh(build, make_batch):
    model = build().train()
    batch = make_batch(model.smpl)
    with pytest.raises(TypeError, match='MultiOptimWrapperConstructor'):
        model.train_step(batch, OptimWrapper(torch.optim.Adam(model.parameters())))
    del batch['data_samples']['mosh_theta']
    with pytest.raises(KeyError, match='mosh_theta'):
        model.train_step(batch, _wrappers(model))


def test_config_errors_and_mmpose_alias(build, model_cfg, tiny_smpl_cfg):
    with pytest.raises(ValueError, match='go together'):
        build(loss_gan=None)
    with pytest.raises(ValueError, match='img_res'):
        build(loss_mesh=dict(type='MeshLoss', img_res=256))
    no_regressor = {k: v for k, v in tiny_smpl_cfg.items() if k != 'joints_regressor'}
    with pytest.raises(ValueError, match='joints_regressor'):
        MODELS.build(model_cfg(smpl=no_regressor))
    aliased = build(discriminator=None, disc=dict())
    reference = build()
    assert type(aliased.discriminator) is type(reference.discriminator)
    assert aliased.state_dict().keys() == reference.state_dict().keys()
