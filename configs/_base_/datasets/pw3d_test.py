# 3DPW test set as SPIN scores it (3dpw_test.npz from SPIN's datasets/preprocess/pw3d.py, 35,515 samples):
# ground truth posed with the male / female SMPL models (models/smpl/SMPL_MALE.pkl, SMPL_FEMALE.pkl),
# 14 LSP joints from models/smpl/J_regressor_h36m.npy, mid-hip root; MPJPE, MPJPE-PA, PVE in mm.
# A model config adds its test pipeline: dict(pipeline=test_pipeline, **pw3d_test_dataset).
pw3d_test_dataset = dict(
    type='Mesh3DPWDataset', ann_file='data/mesh_annotation_files/3dpw_test.npz',
    data_prefix=dict(img='data/3DPW/'), test_mode=True)
pw3d_test_evaluator = dict(type='PW3DError', smpl_path='models/smpl', gt_gender='gendered')
