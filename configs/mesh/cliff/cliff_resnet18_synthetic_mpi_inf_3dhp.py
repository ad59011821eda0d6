# The main job's CLIFF model (cliff_resnet18_synthetic_quickstart.py) tested on the synthetic
# MPI-INF-3DHP-like set (PCK, AUC, MPJPE). Data: python tools/make_synthetic_data.py --num-3dhp-test 500
_base_ = ['../hmr/hmr_resnet18_synthetic_mpi_inf_3dhp.py']

model = dict(
    mesh_head=dict(type='CLIFFHead'),
    loss_mesh=dict(joints_2d_frame='full'))
