# HMR (ResNet-50, 224x224) on mmpose 0.x's six-dataset mix with the CMU MoSh prior,
# tested on Human3.6M protocol 2: mmpose's released recipe
# (checkpoint hmr_mesh_224x224-c21e8229_20201015.pth; P2 MPJPE 80.35 / MPJPE-PA 52.60).
_base_ = ['../../_base_/default_runtime.py']

img_res = 224

model = dict(
    type='ParametricMesh',
    data_preprocessor=dict(
        type='ImgDataPreprocessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    # channels_last: same numbers, ~25% faster convolutions on CPU (docs/benchmarks.md).
    backbone=dict(type='ResNet', depth=50, channels_last=True),
    mesh_head=dict(type='HMRMeshHead', in_channels=2048, smpl_mean_params='models/smpl/smpl_mean_params.npz'),
    # mmpose's discriminator has no activation after its per-joint 1x1 convolutions.
    discriminator=dict(type='SMPLDiscriminator', per_joint_activation=False),
    smpl=dict(type='SMPL', smpl_path='models/smpl', joints_regressor='models/smpl/joints_regressor_cmr.npy'),
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
    dict(type='MeshGetRandomScaleRotation', rot_factor=30, scale_factor=0.25, rot_prob=0.6),
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
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='EpochAwareSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='MeshAdversarialDataset',
        train_dataset=dict(
            type='MeshMixDataset',
            configs=[
                dict(type='MeshBaseDataset', ann_file='data/mesh_annotation_files/h36m_train.npz',
                     data_prefix=dict(img='data/h36m_train/'), pipeline=train_pipeline),
                dict(type='MeshBaseDataset', ann_file='data/mesh_annotation_files/mpi_inf_3dhp_train.npz',
                     data_prefix=dict(img='data/mpi_inf_3dhp/'), pipeline=train_pipeline),
                dict(type='MeshBaseDataset', ann_file='data/mesh_annotation_files/lsp_dataset_original_train.npz',
                     data_prefix=dict(img='data/lsp_dataset_original/'), pipeline=train_pipeline),
                dict(type='MeshBaseDataset', ann_file='data/mesh_annotation_files/hr-lspet_train.npz',
                     data_prefix=dict(img='data/hr-lspet/'), pipeline=train_pipeline),
                dict(type='MeshBaseDataset', ann_file='data/mesh_annotation_files/mpii_train.npz',
                     data_prefix=dict(img='data/mpii/'), pipeline=train_pipeline),
                dict(type='MeshBaseDataset', ann_file='data/mesh_annotation_files/coco_2014_train.npz',
                     data_prefix=dict(img='data/coco/'), pipeline=train_pipeline),
            ],
            partition=[0.35, 0.15, 0.10, 0.10, 0.10, 0.20]),
        adversarial_dataset=dict(type='MoshDataset', ann_file='data/mesh_annotation_files/CMU_mosh.npz')))
test_dataloader = dict(
    batch_size=32,
    num_workers=4,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='MeshH36MDataset', ann_file='data/mesh_annotation_files/h36m_valid_protocol2.npz',
        data_prefix=dict(img='data/Human3.6M/'), pipeline=test_pipeline, test_mode=True))
val_dataloader = test_dataloader
test_evaluator = dict(type='JointError')
val_evaluator = test_evaluator

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=100, val_interval=10)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    generator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=2.5e-4)),
    discriminator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4)))
