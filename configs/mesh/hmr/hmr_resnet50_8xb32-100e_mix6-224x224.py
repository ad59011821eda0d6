# HMR (ResNet-50, 224x224) on mmpose 0.x's six-dataset mix with the CMU MoSh prior, tested on
# Human3.6M protocol 2: mmpose's released recipe (checkpoint hmr_mesh_224x224-c21e8229_20201015.pth;
# P2 MPJPE 80.35 / MPJPE-PA 52.60, docs/model_zoo.md). Model, data and schedule come from the
# _base_ snippets; this file adds the pipelines, whose crop size must match model.img_res.
_base_ = [
    '../../_base_/default_runtime.py', '../../_base_/models/hmr_resnet50.py',
    '../../_base_/datasets/mix6_train.py', '../../_base_/datasets/h36m_p2_joint_error.py',
    '../../_base_/schedules/hmr_adam_100e.py',
]

img_res = 224

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MeshRandomFlip', flip_prob=0.5),
    dict(type='MeshGetRandomScaleRotation', rot_factor=30, scale_factor=0.25, rot_prob=0.6),
    dict(type='MeshAffine', img_res=img_res),
    # Per-channel gains commute with the crop up to rounding, so they go after it, where there are
    # far fewer pixels to scale (timings: docs/benchmarks.md, data pipeline).
    dict(type='MeshRandomChannelNoise', noise_factor=0.4),
    dict(type='PackMeshInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MeshAffine', img_res=img_res),
    dict(type='PackMeshInputs'),
]

# A list is replaced whole when merged, so each of the six sets is given the pipeline here.
train_dataloader = dict(dataset=dict(train_dataset=dict(
    configs=[dict(part, pipeline=train_pipeline) for part in _base_.train_dataloader.dataset.train_dataset.configs])))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
val_dataloader = test_dataloader
