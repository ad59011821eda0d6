"""MeshRunner's start-up guards: checked load_from, seeds, hooks, schedules, lr logging, frozen stages."""
import copy

import pytest
import torch
from mmengine.hooks import EMAHook

from mesh_recovery.engine import MeshRunner, load_checkpoint
from mesh_recovery.engine.checkpoint import CheckpointMismatchError, load_pretrained
from mesh_recovery.engine.finite_loss_hook import FiniteLossHook
from mesh_recovery.engine.mesh_runner import ParamSchedulerConfigError, check_schedulers_per_optimizer
from mesh_recovery.engine.rng_state_hook import RNGStateHook
from mesh_recovery.engine.startup_checks import (ConfigConsistencyError, check_crop_resolution,
                                                 check_dataset_joints, check_feature_channels)
from mesh_recovery.registry import MODELS
from mesh_recovery.engine import setup_checkpoint_loading  # noqa: E402

# These tests torch.load and resume mmengine checkpoints themselves.
setup_checkpoint_loading()

OPTIM = dict(
    constructor='MultiOptimWrapperConstructor',
    generator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=2.5e-4)),
    discriminator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4)))
SAFETY = dict(finite_loss=dict(type='FiniteLossHook'), rng_state=dict(type='RNGStateHook'))


@pytest.fixture(scope='module')
def samples(model_cfg, make_batch, batch_dataset):
    return batch_dataset(make_batch(MODELS.build(model_cfg()['smpl']), batch=8, img_res=32))


def _runner(model, dataset, work_dir, seed=0, load_from=None, resume=False, custom_hooks=None,
            default_hooks=None, optim_wrapper=OPTIM, param_scheduler=None, name='run'):
    hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1), logger=dict(type='LoggerHook', interval=1))
    hooks.update(default_hooks or {})
    return MeshRunner(
        model=model, work_dir=str(work_dir), default_scope='mesh_recovery',
        train_dataloader=dict(dataset=dataset, batch_size=4, sampler=dict(type='DefaultSampler', shuffle=True),
                              collate_fn=dict(type='default_collate')),
        optim_wrapper=optim_wrapper, param_scheduler=param_scheduler,
        train_cfg=dict(by_epoch=True, max_epochs=1), default_hooks=hooks, custom_hooks=custom_hooks,
        randomness=dict(seed=seed), experiment_name=f'{work_dir.name}-{name}', load_from=load_from, resume=resume)


@pytest.fixture(scope='module')
def resnet18_checkpoint(model_cfg, samples, tmp_path_factory):
    """A checkpoint of one trained epoch (seed 0), with random states from RNGStateHook."""
    work_dir = tmp_path_factory.mktemp('source')
    runner = _runner(model_cfg(), samples, work_dir, default_hooks=SAFETY)
    runner.train()
    return work_dir / 'epoch_1.pth'


def _model_weights(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_load_from_a_resnet18_into_a_resnet34_is_an_error_listing_the_missing_keys(model_cfg, resnet18_checkpoint):
    model = MODELS.build(model_cfg(backbone=dict(type='ResNet', depth=34)))
    with pytest.raises(CheckpointMismatchError) as info:
        load_pretrained(model, str(resnet18_checkpoint))
    message = str(info.value)
    assert 'would stay initialised' in message and 'backbone.layer1.2.conv1.weight' in message
    assert 'load_from_cfg = dict(allow_missing=' in message


def test_load_from_a_deeper_backbone_is_an_error_listing_the_unused_keys(model_cfg, resnet18_checkpoint, tmp_path):
    model34 = MODELS.build(model_cfg(backbone=dict(type='ResNet', depth=34)))
    path = tmp_path / 'r34.pth'
    torch.save(dict(state_dict=model34.state_dict()), path)
    # Every ResNet-18 key exists in a ResNet-34 with the same shape: only unused keys reveal the mistake.
    with pytest.raises(CheckpointMismatchError, match='checkpoint tensors would go unused'):
        load_pretrained(MODELS.build(model_cfg()), str(path))


def test_allowed_parts_stay_initialised_and_the_rest_is_loaded(model_cfg, resnet18_checkpoint):
    model = MODELS.build(model_cfg(mesh_head=dict(type='HMRMeshHead', in_channels=512, n_iter=2),
                                   discriminator=None, loss_gan=None))
    head_before = _model_weights(model.mesh_head)
    state = torch.load(resnet18_checkpoint, weights_only=True)['state_dict']
    state['mesh_head.fc1.weight'] = torch.zeros(3, 3)  # a new head with another layout
    path = resnet18_checkpoint.parent / 'changed_head.pth'
    torch.save(dict(state_dict=state), path)
    report = load_pretrained(model, str(path), allow_missing=['mesh_head.fc1.*'], allow_unexpected=['discriminator'])
    assert report.left_initialised == ['mesh_head.fc1.weight']
    assert all(k.startswith('discriminator.') or k == 'mesh_head.fc1.weight' for k in report.ignored)
    assert torch.equal(model.mesh_head.fc1.weight, head_before['fc1.weight'])
    assert torch.equal(model.backbone.conv1.weight, state['backbone.conv1.weight'])
    assert torch.equal(model.mesh_head.fc2.weight, state['mesh_head.fc2.weight'])


def test_mmpose_duplicates_and_smpl_buffers_are_one_summary_line(model_cfg, resnet18_checkpoint, tmp_path):
    state = torch.load(resnet18_checkpoint, weights_only=True)['state_dict']
    mmpose = dict(state)
    mmpose.update({'generator.0.' + k[len('backbone.'):]: v for k, v in state.items() if k.startswith('backbone.')})
    mmpose.update({'generator.1.' + k[len('mesh_head.'):]: v for k, v in state.items() if k.startswith('mesh_head.')})
    mmpose['smpl.shapedirs'] = torch.zeros(2)
    mmpose['joints_regressor'] = torch.zeros(2)
    path = tmp_path / 'mmpose_style.pth'
    torch.save(dict(meta={}, state_dict=mmpose), path)
    model = MODELS.build(model_cfg())
    report = load_pretrained(model, str(path))
    aliases = sum(k.startswith(('backbone.', 'mesh_head.')) for k in state)
    assert (report.loaded, report.dropped_aliases, report.dropped_smpl) == (len(state), aliases, 2)
    line = report.summary(str(path))
    assert '\n' not in line and f'dropped {aliases} mmpose duplicates' in line and '2 SMPL buffers' in line


def test_load_from_in_the_runner_is_checked_before_training(model_cfg, samples, resnet18_checkpoint, tmp_path):
    runner = _runner(MODELS.build(model_cfg(backbone=dict(type='ResNet', depth=34), mesh_head=dict(
        type='HMRMeshHead', in_channels=512))), samples, tmp_path, load_from=str(resnet18_checkpoint))
    with pytest.raises(CheckpointMismatchError, match='would stay initialised'):
        runner.train()
    assert not (tmp_path / 'epoch_1.pth').exists()


def test_fine_tuning_with_a_new_seed_keeps_that_seed(model_cfg, samples, resnet18_checkpoint, tmp_path):
    runner = _runner(model_cfg(), samples, tmp_path, seed=7, load_from=str(resnet18_checkpoint),
                     default_hooks=SAFETY)
    seeded = torch.get_rng_state()
    runner.load_or_resume()
    assert torch.equal(torch.get_rng_state(), seeded)
    assert torch.equal(runner.model.backbone.conv1.weight,
                       torch.load(resnet18_checkpoint, weights_only=True)['state_dict']['backbone.conv1.weight'])


def test_rng_state_hook_ignores_a_load_that_is_not_a_resume(resnet18_checkpoint):
    checkpoint = torch.load(resnet18_checkpoint, weights_only=True)
    torch.manual_seed(123)
    before = torch.get_rng_state()
    runner = type('Runner', (), dict(_resume=False))()
    RNGStateHook().after_load_checkpoint(runner, checkpoint)
    assert torch.equal(torch.get_rng_state(), before)
    runner._resume = True
    RNGStateHook().after_load_checkpoint(runner, checkpoint)
    assert torch.equal(torch.get_rng_state(), checkpoint['rng_state']['torch'])


def test_resume_restores_the_saved_random_states(model_cfg, samples, resnet18_checkpoint, tmp_path):
    saved = torch.load(resnet18_checkpoint, weights_only=True)['rng_state']['torch']
    runner = _runner(model_cfg(), samples, tmp_path, seed=0, load_from=str(resnet18_checkpoint), resume=True,
                     default_hooks=SAFETY)
    assert not torch.equal(torch.get_rng_state(), saved)
    runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    runner.resume(str(resnet18_checkpoint))
    assert torch.equal(torch.get_rng_state(), saved)


def test_custom_hooks_keep_the_safety_hooks_and_ema_weights_are_what_test_loads(model_cfg, samples, tmp_path):
    runner = _runner(model_cfg(), samples, tmp_path, default_hooks=SAFETY,
                     custom_hooks=[dict(type='EMAHook', momentum=0.5), dict(type='FiniteLossHook')])
    kinds = [type(hook) for hook in runner.hooks]
    assert kinds.count(FiniteLossHook) == 1 and kinds.count(RNGStateHook) == 1 and EMAHook in kinds
    runner.train()
    ema = next(hook for hook in runner.hooks if isinstance(hook, EMAHook)).ema_model.module.state_dict()
    live = runner.model.state_dict()
    assert not torch.equal(ema['mesh_head.fc1.weight'], live['mesh_head.fc1.weight'])
    evaluated = MODELS.build(model_cfg())
    load_checkpoint(evaluated, str(tmp_path / 'epoch_1.pth'))  # the loader tools/test.py uses
    assert torch.equal(evaluated.state_dict()['mesh_head.fc1.weight'], ema['mesh_head.fc1.weight'])


def test_a_safety_hook_is_removed_only_by_name(model_cfg, samples, tmp_path):
    runner = _runner(model_cfg(), samples, tmp_path, default_hooks=dict(finite_loss=None, rng_state=dict(
        type='RNGStateHook')))
    kinds = [type(hook) for hook in runner.hooks]
    assert FiniteLossHook not in kinds and RNGStateHook in kinds


def test_logged_lr_is_the_largest_group_rate_with_a_frozen_backbone(model_cfg, samples, tmp_path):
    optim = copy.deepcopy(OPTIM)
    optim['generator']['paramwise_cfg'] = dict(custom_keys={'backbone': dict(lr_mult=0.0)})
    runner = _runner(model_cfg(), samples, tmp_path, optim_wrapper=optim,
                     default_hooks=dict(runtime_info=dict(type='MeshRuntimeInfoHook')))
    runner.train()
    assert min(runner.optim_wrapper['generator'].get_lr()['lr']) == 0.0
    logged = runner.message_hub.log_scalars['train/generator.lr'].current()
    assert logged == pytest.approx(2.5e-4)


def test_schedules_must_name_each_optimizer(model_cfg, samples, tmp_path):
    names = ['generator', 'discriminator']
    with pytest.raises(ParamSchedulerConfigError, match=r"missing: \['discriminator'\]"):
        check_schedulers_per_optimizer(dict(generator=[dict(type='MultiStepLR', milestones=[1])]), names)
    with pytest.raises(ParamSchedulerConfigError, match='must give each its own list'):
        check_schedulers_per_optimizer([dict(type='MultiStepLR', milestones=[1])], names)
    check_schedulers_per_optimizer(dict(generator=[], discriminator=[]), names)
    runner = _runner(model_cfg(), samples, tmp_path, param_scheduler=dict(generator=[dict(
        type='MultiStepLR', milestones=[1], by_epoch=True)]))
    with pytest.raises(ParamSchedulerConfigError, match="optimizers are \\['generator', 'discriminator'\\]"):
        runner.train()


def test_crop_resolution_must_agree_across_model_loss_and_pipelines():
    pipeline = [dict(type='LoadImageFromFile'), dict(type='MeshAffine', img_res=128), dict(type='PackMeshInputs')]
    cfg = dict(model=dict(img_res=160), train_dataloader=dict(dataset=dict(pipeline=pipeline)))
    with pytest.raises(ConfigConsistencyError) as info:
        check_crop_resolution(cfg)
    assert 'model.img_res=160' in str(info.value)
    assert 'train_dataloader.dataset.pipeline[1].img_res=128' in str(info.value)
    check_crop_resolution(dict(model=dict(img_res=128), train_dataloader=dict(dataset=dict(pipeline=pipeline))))


def test_head_channels_must_match_the_backbone(model_cfg):
    model = MODELS.build(model_cfg(backbone=dict(type='ResNet', depth=50)))
    with pytest.raises(ConfigConsistencyError, match='in_channels=512 .* outputs 2048 channels'):
        check_feature_channels(model)


def test_regressor_joints_must_match_the_annotations(model_cfg, batch_dataset):
    model = MODELS.build(model_cfg())
    check_dataset_joints(model, batch_dataset(None), 'train_dataloader')
    other = type('Other', (), dict(metainfo=dict(num_keypoints=17)))()
    with pytest.raises(ConfigConsistencyError, match='17 keypoints per sample but the joints regressor .* 24'):
        check_dataset_joints(model, other, 'test_dataloader')


def test_frozen_stages_freezes_the_stem_and_the_first_stages():
    backbone = MODELS.build(dict(type='ResNet', depth=18, frozen_stages=2))
    frozen = [n for n, p in backbone.named_parameters() if not p.requires_grad]
    assert frozen and all(n.startswith(('conv1', 'bn1', 'layer1', 'layer2')) for n in frozen)
    assert all(p.requires_grad for n, p in backbone.named_parameters() if n.startswith(('layer3', 'layer4')))
    assert len(frozen) == sum(1 for n, _ in backbone.named_parameters() if n.startswith(('conv1', 'bn1', 'layer1',
                                                                                           'layer2')))
    backbone.train()
    stats = backbone.layer2[0].bn1.running_mean.clone()
    backbone(torch.randn(2, 3, 64, 64))
    assert torch.equal(backbone.layer2[0].bn1.running_mean, stats)
    assert not torch.equal(backbone.layer3[0].bn1.running_mean, torch.zeros_like(stats.new_zeros(256)))
    with pytest.raises(ValueError, match='frozen_stages must be in -1..4'):
        MODELS.build(dict(type='ResNet', depth=18, frozen_stages=5))


@pytest.mark.parametrize('metric, better, worse', [('MPJPE-PA', 50.0, 60.0), ('PVE', 70.0, 80.0),
                                                   ('PCK', 90.0, 80.0), ('auto', None, None)])
def test_save_best_knows_the_direction_of_every_project_metric(model_cfg, samples, tmp_path, metric, better, worse):
    from mmengine.hooks import CheckpointHook
    runner = _runner(model_cfg(), samples, tmp_path, default_hooks=dict(
        checkpoint=dict(type='CheckpointHook', interval=1, save_best=metric)), name=metric)
    hook = next(h for h in runner.hooks if isinstance(h, CheckpointHook))
    for key in ('MPJPE', 'MPJPE-PA', 'PVE'):
        hook._init_rule([None], [key])
        assert hook.is_better_than[key](1.0, 2.0), key
    if better is not None:
        hook._init_rule([None], [metric])
        assert hook.is_better_than[metric](better, worse)
