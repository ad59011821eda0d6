# The embedded default's MPI-INF-3DHP-like test set (SyntheticDatasetWriter.write_mpi_inf_3dhp_test: the
# 17 protocol joints, pelvis-centred, as SPIN's test file); scored on the model's SPIN-24 joints.
# A model config adds its test pipeline: dict(pipeline=test_pipeline, **synthetic_mpi_inf_3dhp_test_dataset).
synthetic_mpi_inf_3dhp_test_dataset = dict(
    type='MeshMPIINF3DHPDataset', data_root='data/synthetic',
    ann_file='mesh_annotation_files/synthetic_3dhp_test.npz', data_prefix=dict(img=''), test_mode=True)
synthetic_mpi_inf_3dhp_test_evaluator = dict(type='MPIINF3DHPError', pred_source='keypoints_3d')
