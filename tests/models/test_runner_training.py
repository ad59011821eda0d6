"""ParametricMesh under mmengine's Runner: optimizer dict, per-part schedulers, checkpoints, resume."""
import pytest
import torch
from mmengine.runner import Runner
from mesh_recovery.engine import setup_checkpoint_loading  # noqa: E402

# These tests torch.load and resume mmengine checkpoints themselves.
setup_checkpoint_loading()


def _runner(model_cfg, dataset, work_dir, max_epochs, resume_from=None):
    return Runner(
        model=model_cfg(), work_dir=str(work_dir), default_scope='mesh_recovery',
        train_dataloader=dict(dataset=dataset, batch_size=4, sampler=dict(type='DefaultSampler', shuffle=True),
                              collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(
            constructor='MultiOptimWrapperConstructor',
            generator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=2.5e-4)),
            discriminator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4))),
        param_scheduler=dict(
            generator=[dict(type='MultiStepLR', milestones=[1], gamma=0.1, by_epoch=False)],
            discriminator=[dict(type='MultiStepLR', milestones=[1], gamma=0.5, by_epoch=False)]),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1),
                           logger=dict(type='LoggerHook', interval=1)),
        randomness=dict(seed=0), experiment_name=f'{work_dir.name}-{max_epochs}',
        resume=resume_from is not None, load_from=resume_from)


@pytest.fixture(scope='module')
def trained(model_cfg, make_batch, batch_dataset, tmp_path_factory):
    from mesh_recovery.registry import MODELS
    smpl = MODELS.build(model_cfg()['smpl'])
    dataset = batch_dataset(make_batch(smpl, batch=8, img_res=32))
    work_dir = tmp_path_factory.mktemp('runner')
    runner = _runner(model_cfg, dataset, work_dir, max_epochs=1)
    runner.train()
    return runner, dataset, work_dir


def test_two_optimizers_and_their_schedulers(trained):
    runner, _, _ = trained
    assert set(runner.optim_wrapper.keys()) == {'generator', 'discriminator'}
    assert runner.optim_wrapper['generator'].get_lr()['lr'] == [pytest.approx(2.5e-5)]
    assert runner.optim_wrapper['discriminator'].get_lr()['lr'] == [pytest.approx(5e-5)]
    scalars = runner.message_hub.log_scalars
    for key in ('train/loss', 'train/loss_adv', 'train/loss_disc', 'train/loss_disc_real', 'train/loss_disc_fake'):
        assert len(scalars[key].data[0]) == 2, key


def test_checkpoint_is_weights_only_loadable_and_resumes(trained, model_cfg):
    runner, dataset, work_dir = trained
    path = work_dir / 'epoch_1.pth'
    ckpt = torch.load(path, weights_only=True)
    assert set(ckpt['optimizer']) == {'generator', 'discriminator'}
    assert not [k for k in ckpt['state_dict'] if k.startswith('smpl.')]
    resumed = _runner(model_cfg, dataset, work_dir / 'resumed', max_epochs=2, resume_from=str(path))
    resumed.train()
    assert resumed.iter == 4
    # Adam's step counts continued from the checkpoint (2 steps before, 2 after).
    state = resumed.optim_wrapper['discriminator'].optimizer.state_dict()['state']
    assert int(next(iter(state.values()))['step']) == 4
