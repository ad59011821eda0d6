# The test (and validation) set of mmpose 0.x's HMR recipe: Human3.6M protocol 2 scored by JointError
# (MPJPE / MPJPE-PA over the 14 joints; h36m_p2.py adds the per-action table). No pipeline here:
# a model config adds its test pipeline with test_dataloader = dict(dataset=dict(pipeline=test_pipeline)).
test_dataloader = dict(
    batch_size=32,
    num_workers=4,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='MeshH36MDataset', ann_file='data/mesh_annotation_files/h36m_valid_protocol2.npz',
        data_prefix=dict(img='data/Human3.6M/'), test_mode=True))
val_dataloader = test_dataloader
test_evaluator = dict(type='JointError')
val_evaluator = test_evaluator
