# The CPU quickstart model validated and tested on the synthetic 3DPW-like set (MPJPE, MPJPE-PA, PVE),
# keeping the checkpoint with the lowest MPJPE-PA. Data: python tools/make_synthetic_data.py --num-pw3d-test 500
_base_ = ['./hmr_resnet18_synthetic_quickstart.py', '../../_base_/datasets/synthetic_pw3d_test.py']

test_dataloader = dict(
    dataset=dict(_delete_=True, pipeline=_base_.test_pipeline, **_base_.synthetic_pw3d_test_dataset))
val_dataloader = test_dataloader
test_evaluator = _base_.synthetic_pw3d_test_evaluator
val_evaluator = test_evaluator
default_hooks = dict(checkpoint=dict(save_best='MPJPE-PA', rule='less'))
