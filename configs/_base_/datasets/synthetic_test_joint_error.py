# The built-in synthetic test (and validation) set scored by JointError (MPJPE / MPJPE-PA over the
# 14 LSP joints of the SPIN-24 annotations, mid-hip root). No pipeline here: a model config adds its
# test pipeline with test_dataloader = dict(dataset=dict(pipeline=test_pipeline)).
test_dataloader = dict(
    batch_size=64,
    num_workers=2,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='MeshH36MDataset', data_root='data/synthetic', ann_file='mesh_annotation_files/synthetic_test.npz',
        data_prefix=dict(img=''), test_mode=True))
val_dataloader = test_dataloader
test_evaluator = dict(type='JointError')
val_evaluator = test_evaluator
