# HMR's head on timm's HRNet-W48 (2048-channel stride-32 features; CLIFF's and PARE's
# backbone), otherwise the mmpose recipe of hmr_resnet50_8xb32-100e_mix6-224x224.py.
_base_ = ['./hmr_resnet50_8xb32-100e_mix6-224x224.py']

model = dict(
    # pretrained: a LOCAL file (e.g. timm/hrnet_w48.ms_in1k model.safetensors); nothing is downloaded.
    backbone=dict(_delete_=True, type='TimmBackbone', model_name='hrnet_w48', pretrained=None),
    mesh_head=dict(in_channels=2048))
