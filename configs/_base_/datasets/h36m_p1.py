# Human3.6M protocol 1 (SPIN's h36m_valid_protocol1.npz: S9 and S11, all four cameras, every 5th frame;
# mmpose 0.x figures: MPJPE 80.75 / MPJPE-PA 55.08 for its released HMR). Definitions: docs/evaluation.md.
# A model config adds its test pipeline: dict(pipeline=test_pipeline, **h36m_p1_test_dataset).
h36m_p1_test_ann_file = 'data/mesh_annotation_files/h36m_valid_protocol1.npz'
h36m_p1_test_dataset = dict(
    type='MeshH36MDataset', ann_file=h36m_p1_test_ann_file, data_prefix=dict(img='data/Human3.6M/'),
    test_mode=True)
# MPJPE / MPJPE-PA over the 14 joints plus the same per action (a logged table).
h36m_p1_test_evaluator = dict(type='H36MActionError', ann_file=h36m_p1_test_ann_file)
