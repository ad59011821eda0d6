# mmpose's HMR recipe (hmr_resnet50_8xb32-100e_mix6-224x224.py), validated and tested on 3DPW as SPIN scores it (gendered SMPL
# ground truth: needs models/smpl/SMPL_MALE.pkl, SMPL_FEMALE.pkl and J_regressor_h36m.npy), keeping the
# checkpoint with the lowest MPJPE-PA. Test: python tools/test.py THIS_CONFIG CKPT
_base_ = ['./hmr_resnet50_8xb32-100e_mix6-224x224.py', '../../_base_/datasets/pw3d_test.py']

test_dataloader = dict(dataset=dict(_delete_=True, pipeline=_base_.test_pipeline, **_base_.pw3d_test_dataset))
val_dataloader = test_dataloader
test_evaluator = _base_.pw3d_test_evaluator
val_evaluator = test_evaluator
default_hooks = dict(checkpoint=dict(save_best='MPJPE-PA', rule='less'))
