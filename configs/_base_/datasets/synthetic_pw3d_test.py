# The embedded default's 3DPW-like test set (SyntheticDatasetWriter.write_pw3d_test: SPIN's 3DPW keys),
# posed and rendered with the free body model's male and female variants (gender 'm' / 'f'), so it is scored
# as 3DPW is: gendered ground truth from models/free_body/body_model_{male,female}.npz, neutral prediction;
# models/free_body/J_regressor_h36m.npy (the free body model's SPIN-24 rows of the Human3.6M joints).
# A model config adds its test pipeline: dict(pipeline=test_pipeline, **synthetic_pw3d_test_dataset).
synthetic_pw3d_test_dataset = dict(
    type='Mesh3DPWDataset', data_root='data/synthetic', ann_file='mesh_annotation_files/synthetic_3dpw_test.npz',
    data_prefix=dict(img=''), test_mode=True)
synthetic_pw3d_test_evaluator = dict(
    type='PW3DError', smpl_path='models/free_body', gt_gender='gendered')
