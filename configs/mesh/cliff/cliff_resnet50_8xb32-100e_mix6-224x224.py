# CLIFF (Li et al., ECCV 2022) with a ResNet-50 on mmpose's six-dataset mix: HMR's recipe
# (hmr_resnet50_8xb32-100e_mix6-224x224.py) with the box information (cx - W/2, cy - H/2, b) / f fed to the
# regressor at every iteration and the 2D keypoint loss computed in the full image with
# its own focal length (sqrt(W^2 + H^2) where the annotation has none). Released weights:
# huawei-noah/noah-research CLIFF res50 checkpoint, converted by
# mesh_recovery.models.checkpoints.convert_cliff_checkpoint (docs/models.md).
_base_ = ['../hmr/hmr_resnet50_8xb32-100e_mix6-224x224.py']

model = dict(
    mesh_head=dict(type='CLIFFHead', in_channels=2048),
    loss_mesh=dict(joints_2d_frame='full'))
