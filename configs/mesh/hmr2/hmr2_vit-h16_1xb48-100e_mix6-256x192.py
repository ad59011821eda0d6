# HMR 2.0 (Goel et al., ICCV 2023): ViT-H/16 on the central 256 x 192 of a 256 x 256 crop, a
# transformer decoder head, HMR 2.0's summed loss terms and weights, AdamW at 1e-5 (weight decay
# 1e-4), batch 48 (shubham-goel/4D-Humans hmr2/configs_hydra/experiment/hmr_vit_transformer.yaml).
# Trained here on mmpose's six-dataset mix (HMR 2.0 used a larger mix with pseudo-labels), by
# epochs instead of HMR 2.0's 1M steps. Released weights: 4D-Humans epoch=35-step=1000000.ckpt.
_base_ = ['../hmr/hmr_vit-h16_8xb32-100e_mix6-256x192.py']

model = dict(
    # ViTPose-H's stochastic depth and its 2-px padded patch embedding, as HMR 2.0 builds them.
    backbone=dict(model_kwargs=dict(img_size=(256, 192), patch_size=16, class_token=False, drop_path_rate=0.55),
                  patch_padding=2),
    mesh_head=dict(_delete_=True, type='HMR2TransformerHead', in_channels=1280,
                   smpl_mean_params='models/smpl/smpl_mean_params.npz'),
    loss_mesh=dict(_delete_=True, type='HMR2Loss'),
    # HMR 2.0: 0.0005 x the discriminator outputs summed over their 25 columns and averaged over the
    # batch; GANLoss averages over both, hence 25 x 0.0005.
    loss_gan=dict(loss_weight=0.0125))

train_dataloader = dict(batch_size=48)
optim_wrapper = dict(
    generator=dict(optimizer=dict(_delete_=True, type='AdamW', lr=1e-5, weight_decay=1e-4)),
    discriminator=dict(optimizer=dict(_delete_=True, type='AdamW', lr=1e-5, weight_decay=1e-4)))
