# Human3.6M protocol 2 (SPIN's h36m_valid_protocol2.npz: S9 and S11, the frontal camera 60457274 only;
# mmpose 0.x figures: MPJPE 80.35 / MPJPE-PA 52.60). Definitions: docs/evaluation.md.
# A model config adds its test pipeline: dict(pipeline=test_pipeline, **h36m_p2_test_dataset).
h36m_p2_test_ann_file = 'data/mesh_annotation_files/h36m_valid_protocol2.npz'
h36m_p2_test_dataset = dict(
    type='MeshH36MDataset', ann_file=h36m_p2_test_ann_file, data_prefix=dict(img='data/Human3.6M/'),
    test_mode=True)
h36m_p2_test_evaluator = dict(type='H36MActionError', ann_file=h36m_p2_test_ann_file)
