# MPI-INF-3DHP test set (mpi_inf_3dhp_test.npz from SPIN's datasets/preprocess/mpi_inf_3dhp.py): 17 joints,
# pelvis root; predicted joints from models/smpl/J_regressor_h36m.npy on the mesh, as SPIN scores them;
# PCK@150 mm, AUC over 0-150 mm, MPJPE, and the Procrustes-aligned forms.
# A model config adds its test pipeline: dict(pipeline=test_pipeline, **mpi_inf_3dhp_test_dataset).
mpi_inf_3dhp_test_dataset = dict(
    type='MeshMPIINF3DHPDataset', ann_file='data/mesh_annotation_files/mpi_inf_3dhp_test.npz',
    data_prefix=dict(img='data/mpi_inf_3dhp/'), test_mode=True)
mpi_inf_3dhp_test_evaluator = dict(type='MPIINF3DHPError', pred_source='h36m_regressor', smpl_path='models/smpl')
