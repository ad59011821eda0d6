# The main job's CLIFF model (cliff_resnet18_synthetic_quickstart.py) validated and tested on the
# synthetic 3DPW-like set (MPJPE, MPJPE-PA, PVE), keeping the checkpoint with the lowest MPJPE-PA.
_base_ = ['../hmr/hmr_resnet18_synthetic_pw3d.py']

model = dict(
    mesh_head=dict(type='CLIFFHead'),
    loss_mesh=dict(joints_2d_frame='full'))
