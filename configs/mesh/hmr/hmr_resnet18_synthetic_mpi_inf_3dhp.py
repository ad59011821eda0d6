# The CPU quickstart model validated and tested on the synthetic MPI-INF-3DHP-like set (PCK, AUC, MPJPE),
# keeping the checkpoint with the lowest MPJPE-PA. Data: python tools/make_synthetic_data.py --num-3dhp-test 500
_base_ = ['./hmr_resnet18_synthetic_quickstart.py', '../../_base_/datasets/synthetic_mpi_inf_3dhp_test.py']

test_dataloader = dict(
    dataset=dict(_delete_=True, pipeline=_base_.test_pipeline, **_base_.synthetic_mpi_inf_3dhp_test_dataset))
val_dataloader = test_dataloader
test_evaluator = _base_.synthetic_mpi_inf_3dhp_test_evaluator
val_evaluator = test_evaluator
default_hooks = dict(checkpoint=dict(save_best='MPJPE-PA', rule='less'))
