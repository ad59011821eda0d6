# HMR's head on a ViT-B/16 at 256 x 192 (HMR 2.0's input): the pipeline crops the square
# 256 x 256 box as before and the backbone reads its central 192 columns, as HMR 2.0 does;
# the head averages the 16 x 12 patch tokens. Otherwise the recipe of hmr_resnet50_8xb32-100e_mix6-224x224.py.
_base_ = ['./hmr_resnet50_8xb32-100e_mix6-224x224.py']

img_res = 256

model = dict(
    backbone=dict(
        _delete_=True, type='TimmBackbone', model_name='vit_base_patch16_224',
        # No class token, as ViTPose (HMR 2.0's backbone); the position embedding covers the 16 x 12 grid.
        model_kwargs=dict(img_size=(256, 192), class_token=False),
        input_width=192, pretrained=None),
    mesh_head=dict(in_channels=768),
    img_res=img_res)

# The base's pipelines with the 256 crop (MeshAffine is the only step that takes img_res).
train_pipeline = [dict(step, img_res=img_res) if step['type'] == 'MeshAffine' else step
                  for step in _base_.train_pipeline]
test_pipeline = [dict(step, img_res=img_res) if step['type'] == 'MeshAffine' else step
                 for step in _base_.test_pipeline]
# The base's datasets hold its 224 pipelines: give each the 256 ones.
train_dataloader = dict(dataset=dict(train_dataset=dict(
    configs=[dict(part, pipeline=train_pipeline) for part in _base_.train_dataloader.dataset.train_dataset.configs])))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
val_dataloader = test_dataloader
