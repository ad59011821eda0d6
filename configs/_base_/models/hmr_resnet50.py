# HMR (Kanazawa et al., CVPR 2018) as mmpose 0.x builds it: ResNet-50 features, the iterative
# regressor from the SMPL mean parameters, SMPL, the adversarial pose / shape prior and MeshLoss.
# The crop side (img_res) must equal the pipelines' MeshAffine img_res (checked at start-up);
# a config that changes it sets both. Fields: docs/configs.md#model.
model = dict(
    type='ParametricMesh',
    data_preprocessor=dict(
        type='ImgDataPreprocessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    # channels_last: same numbers, faster convolutions on CPU (measured in docs/benchmarks.md).
    backbone=dict(type='ResNet', depth=50, channels_last=True),
    mesh_head=dict(type='HMRMeshHead', in_channels=2048, smpl_mean_params='models/smpl/smpl_mean_params.npz'),
    # mmpose's discriminator has no activation after its per-joint 1x1 convolutions.
    discriminator=dict(type='SMPLDiscriminator', per_joint_activation=False),
    smpl=dict(type='SMPL', smpl_path='models/smpl', joints_regressor='models/smpl/joints_regressor_cmr.npy'),
    loss_mesh=dict(
        type='MeshLoss', joints_2d_loss_weight=100, joints_3d_loss_weight=1000, vertex_loss_weight=20,
        smpl_pose_loss_weight=30, smpl_beta_loss_weight=0.2),
    loss_gan=dict(type='GANLoss', gan_type='lsgan', real_label_val=1.0, fake_label_val=0.0, loss_weight=1),
    disc_steps_per_gen_step=1,
    img_res=224,
    focal_length=5000.0)
