# mmpose's HMR recipe (hmr_resnet50_8xb32-100e_mix6-224x224.py), validated and tested on the MPI-INF-3DHP test set (PCK, AUC,
# MPJPE; SPIN's joints from J_regressor_h36m.npy), keeping the checkpoint with the lowest MPJPE-PA.
# Test: python tools/test.py THIS_CONFIG CKPT
_base_ = ['./hmr_resnet50_8xb32-100e_mix6-224x224.py', '../../_base_/datasets/mpi_inf_3dhp_test.py']

test_dataloader = dict(
    dataset=dict(_delete_=True, pipeline=_base_.test_pipeline, **_base_.mpi_inf_3dhp_test_dataset))
val_dataloader = test_dataloader
test_evaluator = _base_.mpi_inf_3dhp_test_evaluator
val_evaluator = test_evaluator
default_hooks = dict(checkpoint=dict(save_best='MPJPE-PA', rule='less'))
