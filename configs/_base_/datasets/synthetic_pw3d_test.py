# The embedded default's 3DPW-like test set (SyntheticDatasetWriter.write_pw3d_test: SPIN's 3DPW keys),
# rendered with the neutral free body model, so its ground truth is the neutral model (gt_gender='neutral');
# the free body model's SPIN-24 regressor supplies the Human3.6M-named joints (regressor_order='spin_24').
# A model config adds its test pipeline: dict(pipeline=test_pipeline, **synthetic_pw3d_test_dataset).
synthetic_pw3d_test_dataset = dict(
    type='Mesh3DPWDataset', data_root='data/synthetic', ann_file='mesh_annotation_files/synthetic_3dpw_test.npz',
    data_prefix=dict(img=''), test_mode=True, gendered=False)
synthetic_pw3d_test_evaluator = dict(
    type='PW3DError', smpl_path='models/free_body/body_model.npz',
    regressor='models/free_body/joints_regressor_spin24.npy', regressor_order='spin_24', gt_gender='neutral')
