# The built-in synthetic training data (python tools/make_synthetic_data.py, or the main job
# python tools/quickstart.py): SPIN-format annotations of images rendered from the free body model,
# each sample paired with a pose / shape of the synthetic MoSh-like prior for the discriminator.
# No pipeline here (it depends on the model's input size); a model config adds its own with
#   train_dataloader = dict(dataset=dict(train_dataset=dict(pipeline=train_pipeline)))
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
            data_prefix=dict(img='')),
        adversarial_dataset=dict(
            type='MoshDataset', data_root='data/synthetic', ann_file='mesh_annotation_files/synthetic_mosh.npz')))
