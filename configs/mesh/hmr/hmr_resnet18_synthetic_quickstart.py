# CPU quickstart: HMR with a ResNet-18 at 128x128 on the built-in synthetic data and
# the free body model, adversarial prior included. Trains and evaluates in under
# 30 minutes on 2 CPU cores (python tools/quickstart.py runs it end to end).
_base_ = ['../../_base_/default_runtime.py']

img_res = 128

model = dict(
    type='ParametricMesh',
    data_preprocessor=dict(
        type='ImgDataPreprocessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    # bfloat16 convolutions where the CPU has them (backbone only; head, body model and
    # losses stay float32): 0.49 instead of 0.74 s per step on a 2-core Zen 4.
    backbone=dict(type='ResNet', depth=18, channels_last=True, autocast_dtype='auto'),
    # No dropout in the head: over a 13-epoch schedule it only slowed learning (MPJPE-PA
    # 157 vs 173 mm after 4 epochs, docs/benchmarks.md).
    mesh_head=dict(type='HMRMeshHead', in_channels=512, smpl_mean_params='models/free_body/mean_params.npz',
                   dropout=0.0),
    discriminator=dict(type='SMPLDiscriminator'),
    smpl=dict(type='SMPL', smpl_path='models/free_body/body_model.npz',
              joints_regressor='models/free_body/joints_regressor_spin24.npy'),
    loss_mesh=dict(
        type='MeshLoss', joints_2d_loss_weight=100, joints_3d_loss_weight=1000, vertex_loss_weight=20,
        smpl_pose_loss_weight=30, smpl_beta_loss_weight=0.2),
    loss_gan=dict(type='GANLoss', gan_type='lsgan', real_label_val=1.0, fake_label_val=0.0, loss_weight=1),
    disc_steps_per_gen_step=1,
    img_res=img_res,
    focal_length=5000.0)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MeshRandomFlip', flip_prob=0.5),
    # Scale jitter only: the synthetic views already vary in heading and pitch, the test
    # set has no in-plane roll, and the short schedule learns faster without it.
    dict(type='MeshGetRandomScaleRotation', rot_factor=30, scale_factor=0.25, rot_prob=0.0),
    dict(type='MeshAffine', img_res=img_res),
    # Per-channel gains commute with the crop up to rounding; on the crop they cost 20x less.
    dict(type='MeshRandomChannelNoise', noise_factor=0.4),
    dict(type='PackMeshInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MeshAffine', img_res=img_res),
    dict(type='PackMeshInputs'),
]

train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='EpochAwareSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='MeshAdversarialDataset',
        train_dataset=dict(
            type='MeshBaseDataset', data_root='data/synthetic', ann_file='mesh_annotation_files/synthetic_train.npz',
            data_prefix=dict(img=''), pipeline=train_pipeline),
        adversarial_dataset=dict(
            type='MoshDataset', data_root='data/synthetic', ann_file='mesh_annotation_files/synthetic_mosh.npz')))
test_dataloader = dict(
    batch_size=64,
    num_workers=2,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='MeshH36MDataset', data_root='data/synthetic', ann_file='mesh_annotation_files/synthetic_test.npz',
        data_prefix=dict(img=''), pipeline=test_pipeline, test_mode=True))
val_dataloader = test_dataloader
test_evaluator = dict(type='JointError')
val_evaluator = test_evaluator

# Validation every 10 epochs keeps the checkpoint with the lowest MPJPE-PA (best_MPJPE-PA_epoch_N.pth).
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=20, val_interval=10)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    generator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=2.5e-4, foreach=True)),
    discriminator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4, foreach=True)))
# One step decay for the last three epochs; each optimizer has its own schedule.
param_scheduler = dict(
    generator=[dict(type='MultiStepLR', milestones=[17], gamma=0.1, by_epoch=True)],
    discriminator=[dict(type='MultiStepLR', milestones=[17], gamma=0.1, by_epoch=True)])

default_hooks = dict(logger=dict(type='LoggerHook', interval=20), checkpoint=dict(save_best='MPJPE-PA'))
