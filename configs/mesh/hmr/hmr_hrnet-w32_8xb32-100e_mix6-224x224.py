# HMR's head on timm's HRNet-W32 (classification HRNet: 2048 channels at stride 32) instead of
# ResNet-50; everything else is the mmpose recipe of hmr_resnet50_8xb32-100e_mix6-224x224.py. The backbone swap of
# docs/configs.md: only model.backbone and the head's in_channels change.
_base_ = ['./hmr_resnet50_8xb32-100e_mix6-224x224.py']

model = dict(
    # pretrained: a LOCAL file (e.g. timm/hrnet_w32.ms_in1k model.safetensors); nothing is downloaded.
    backbone=dict(_delete_=True, type='TimmBackbone', model_name='hrnet_w32', pretrained=None),
    mesh_head=dict(in_channels=2048))
