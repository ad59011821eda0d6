# mmpose's HMR recipe (hmr_resnet50_8xb32-100e_mix6-224x224.py), validated and tested on Human3.6M protocol 1, keeping the
# checkpoint with the lowest MPJPE-PA. Test: python tools/test.py THIS_CONFIG CKPT (table per action).
_base_ = ['./hmr_resnet50_8xb32-100e_mix6-224x224.py', '../../_base_/datasets/h36m_p1.py']

test_dataloader = dict(dataset=dict(_delete_=True, pipeline=_base_.test_pipeline, **_base_.h36m_p1_test_dataset))
val_dataloader = test_dataloader
test_evaluator = _base_.h36m_p1_test_evaluator
val_evaluator = dict(type='JointError')
default_hooks = dict(checkpoint=dict(save_best='MPJPE-PA', rule='less'))
