# CLIFF with HRNet-W48 (timm's classification HRNet: the 2048-channel stride-32 features of
# CLIFF's cls_hrnet), otherwise as cliff_resnet50_8xb32-100e_mix6-224x224.py.
_base_ = ['./cliff_resnet50_8xb32-100e_mix6-224x224.py']

model = dict(
    # pretrained: a LOCAL file (e.g. timm/hrnet_w48.ms_in1k model.safetensors); nothing is downloaded.
    backbone=dict(_delete_=True, type='TimmBackbone', model_name='hrnet_w48', pretrained=None))
