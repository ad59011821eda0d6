# HMR with a ResNet-18 at 128x128 on the built-in synthetic data and the free body model,
# adversarial prior included, trained from scratch on 2 CPU cores in minutes. The main job
# (python tools/quickstart.py) trains its CLIFF variant, ../cliff/cliff_resnet18_synthetic_quickstart.py.
# Model, data and schedule come from the _base_ snippets; this file shrinks the model for a CPU and
# adds the pipelines. Timings and how the recipe was chosen: docs/benchmarks.md (main job).
_base_ = [
    '../../_base_/default_runtime.py', '../../_base_/models/hmr_resnet50.py',
    '../../_base_/datasets/synthetic_train.py', '../../_base_/datasets/synthetic_test_joint_error.py',
    '../../_base_/schedules/hmr_adam-cosine_6e.py',
]

img_res = 128

model = dict(
    # autocast_dtype='auto': the backbone (only) in bfloat16 where the CPU or GPU has it natively.
    backbone=dict(depth=18, autocast_dtype='auto'),
    # No dropout in the head: on a short schedule it only slows learning.
    mesh_head=dict(in_channels=512, smpl_mean_params='models/free_body/mean_params.npz', dropout=0.0),
    discriminator=dict(per_joint_activation=True),
    smpl=dict(smpl_path='models/free_body/body_model.npz',
              joints_regressor='models/free_body/joints_regressor_spin24.npy'),
    img_res=img_res)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    # Flip only: with each image seen a few times, scale jitter and channel noise slow learning more
    # than they help (MPJPE-PA after 600 iterations 161 mm without them, 171 mm with them).
    dict(type='MeshRandomFlip', flip_prob=0.5),
    dict(type='MeshAffine', img_res=img_res),
    dict(type='PackMeshInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MeshAffine', img_res=img_res),
    dict(type='PackMeshInputs'),
]
train_dataloader = dict(dataset=dict(train_dataset=dict(pipeline=train_pipeline)))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
val_dataloader = test_dataloader

default_hooks = dict(logger=dict(type='LoggerHook', interval=20), checkpoint=dict(save_best='MPJPE-PA'))
