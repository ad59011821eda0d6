# HMR's head on a ViT-H/16 at 256 x 192 (HMR 2.0's backbone size: width 1280, 32 blocks,
# 16 heads; timm names it after its patch-14 variant, the patch size is set to 16 here).
_base_ = ['./hmr_vit-b16_8xb32-100e_mix6-256x192.py']

model = dict(
    backbone=dict(model_name='vit_huge_patch14_224',
                  model_kwargs=dict(img_size=(256, 192), patch_size=16, class_token=False)),
    mesh_head=dict(in_channels=1280))
