"""Released CLIFF and HMR 2.0 checkpoints: written here in their layouts from random weights, loaded strictly."""
import pytest
import torch
import torch.nn.functional as F
import torchvision

from mesh_recovery.engine.checkpoint import CheckpointMismatchError
from mesh_recovery.models.released_checkpoints import load_released_checkpoint
from mesh_recovery.registry import MODELS

VIT = dict(img_size=(32, 24), patch_size=8, embed_dim=16, depth=2, num_heads=2, class_token=False)
HEAD = dict(dim=16, depth=1, heads=2, dim_head=8, mlp_dim=16)


def _randomised(state):
    g = torch.Generator().manual_seed(1)

    def draw(key, value):
        if not value.is_floating_point():
            return value
        if key.endswith('running_var'):
            return 0.5 + torch.rand(value.shape, generator=g)
        return torch.randn(value.shape, generator=g) * 0.05
    return {k: draw(k, v) for k, v in state.items()}


def _cliff_model(model_cfg, backbone, in_channels):
    return MODELS.build(model_cfg(img_res=64, backbone=backbone,
                                  mesh_head=dict(type='CLIFFHead', in_channels=in_channels),
                                  loss_mesh=dict(type='MeshLoss', joints_2d_frame='full'))).eval()


def _bbox():
    return dict(center=torch.tensor([[300.0, 200.0]]), scale=torch.tensor([1.2]),
                ori_shape=torch.tensor([[480.0, 640.0]]), focal_length=torch.tensor([800.0]))


def test_cliff_resnet_checkpoint_loads_and_gives_its_outputs(model_cfg, tmp_path):
    # CLIFF's encoder is a torchvision-named ResNet (CLIFF/models/backbones/resnet.py), no classifier.
    encoder = torchvision.models.resnet18(weights=None)
    encoder.load_state_dict(_randomised(encoder.state_dict()))
    encoder.eval()
    head = MODELS.build(dict(type='CLIFFHead', in_channels=512)).eval()
    head.load_state_dict(_randomised(head.state_dict()))
    state = {f'module.encoder.{k}': v for k, v in encoder.state_dict().items() if not k.startswith('fc.')}
    state.update({f'module.{k}': v for k, v in head.state_dict().items()})
    torch.save({'model': state}, tmp_path / 'cliff_res.pt')

    model = _cliff_model(model_cfg, dict(type='ResNet', depth=18), 512)
    report = load_released_checkpoint(model, str(tmp_path / 'cliff_res.pt'), 'cliff')
    assert report.loaded == len(state) and all(k.startswith('discriminator.') for k in report.fresh) and report.fresh
    x = torch.randn(1, 3, 64, 64)
    info = torch.tensor([[0.1, -0.2, 0.3]])
    features = torch.nn.Sequential(*list(encoder.children())[:-2])(x)
    theirs = head(features, bbox_info=info)
    ours = model.mesh_head(model.backbone(x), bbox_info=info)
    for a, b in zip(ours, theirs):
        assert torch.equal(a, b)


def test_cliff_hrnet_checkpoint_layout(model_cfg, tmp_path):
    """CLIFF's cls_hrnet keeps the official classification HRNet's names, which timm's hrnet keeps too."""
    timm = pytest.importorskip('timm')
    encoder = timm.create_model('hrnet_w18_small', pretrained=False, num_classes=0, global_pool='').eval()
    encoder.load_state_dict(_randomised(encoder.state_dict()))
    head = MODELS.build(dict(type='CLIFFHead', in_channels=2048)).eval()
    state = {f'encoder.{k}': v for k, v in encoder.state_dict().items()}
    state.update(head.state_dict())
    torch.save({'model': state}, tmp_path / 'cliff_hr.pt')
    model = _cliff_model(model_cfg, dict(type='TimmBackbone', model_name='hrnet_w18_small'), 2048)
    load_released_checkpoint(model, str(tmp_path / 'cliff_hr.pt'), 'cliff')
    x = torch.randn(1, 3, 64, 64)
    assert torch.equal(model.backbone(x)[0], encoder.forward_features(x))


def test_cliff_mismatch_lists_keys(model_cfg, tmp_path):
    head = MODELS.build(dict(type='CLIFFHead', in_channels=512))
    state = {f'encoder.{k}': v for k, v in torchvision.models.resnet18(weights=None).state_dict().items()
             if not k.startswith(('fc.', 'layer4.1.'))}
    state.update(head.state_dict(), extra_layer=torch.zeros(3))
    torch.save({'model': state}, tmp_path / 'bad.pt')
    model = _cliff_model(model_cfg, dict(type='ResNet', depth=18), 512)
    with pytest.raises(CheckpointMismatchError, match=r"missing \['backbone.layer4.1.bn1.bias'.*unexpected "
                                                      r"\['mesh_head.extra_layer'\]"):
        load_released_checkpoint(model, str(tmp_path / 'bad.pt'), 'cliff')


def _vitpose_reference(state, x, depth, heads):
    """ViTPose's forward_features (4D-Humans hmr2/models/backbones/vit.py) on its own state dict."""
    p = 'backbone.'
    w = state[f'{p}patch_embed.proj.weight']
    t = F.conv2d(x, w, state[f'{p}patch_embed.proj.bias'], stride=w.shape[-1], padding=2)
    b, c, hp, wp = t.shape
    t = t.flatten(2).transpose(1, 2)
    t = t + state[f'{p}pos_embed'][:, 1:] + state[f'{p}pos_embed'][:, :1]

    def ln(name, v):
        return F.layer_norm(v, (c, ), state[f'{name}.weight'], state[f'{name}.bias'], eps=1e-6)

    def fc(name, v):
        return F.linear(v, state[f'{name}.weight'], state[f'{name}.bias'])

    for i in range(depth):
        blk = f'{p}blocks.{i}'
        q, k, v = fc(f'{blk}.attn.qkv', ln(f'{blk}.norm1', t)).reshape(b, -1, 3, heads, c // heads).permute(
            2, 0, 3, 1, 4)
        attn = torch.softmax(q @ k.transpose(-1, -2) * (c // heads) ** -0.5, dim=-1)
        t = t + fc(f'{blk}.attn.proj', (attn @ v).transpose(1, 2).reshape(b, -1, c))
        t = t + fc(f'{blk}.mlp.fc2', F.gelu(fc(f'{blk}.mlp.fc1', ln(f'{blk}.norm2', t))))
    t = ln(f'{p}last_norm', t)
    return t.transpose(1, 2).reshape(b, c, hp, wp)


def test_hmr2_checkpoint_loads_and_gives_vitposes_features(model_cfg, tmp_path):
    pytest.importorskip('timm')
    model = MODELS.build(model_cfg(
        img_res=32, backbone=dict(type='TimmBackbone', model_name='vit_base_patch16_224', model_kwargs=VIT,
                                  input_width=24, patch_padding=2),
        mesh_head=dict(type='HMR2TransformerHead', in_channels=16, **HEAD), loss_mesh=dict(type='HMR2Loss'))).eval()
    ours = model.state_dict()
    grid = 4 * 3
    state = {'backbone.pos_embed': torch.randn(1, grid + 1, 16)}
    for key, value in ours.items():
        if key.startswith('backbone.model.') and key != 'backbone.model.pos_embed':
            name = key[len('backbone.model.'):].replace('norm.', 'last_norm.', 1) if key.startswith(
                'backbone.model.norm.') else key[len('backbone.model.'):]
            state[f'backbone.{name}'] = value
        elif key.startswith('mesh_head.'):
            state['smpl_head.' + key[len('mesh_head.'):]] = value
    state = _randomised(state)
    state.update({'smpl.faces_tensor': torch.zeros(4, 3), 'discriminator.betas_out.weight': torch.zeros(1, 5)})
    torch.save({'state_dict': state, 'epoch': 35, 'global_step': 1000000}, tmp_path / 'hmr2.ckpt')

    report = load_released_checkpoint(model, str(tmp_path / 'hmr2.ckpt'), 'hmr2')
    assert sum(len(v) for v in report.dropped.values()) == 2
    x = torch.randn(2, 3, 32, 32)
    feats = model.backbone(x)[0]
    reference = _vitpose_reference(state, x[..., 4:28], depth=2, heads=2)
    torch.testing.assert_close(feats, reference, atol=1e-5, rtol=1e-5)
    pred = model.mesh_head(feats)
    torch.testing.assert_close(pred.pred_betas, model.mesh_head(reference).pred_betas, atol=1e-5, rtol=1e-5)
    torch.save({'state_dict': dict(state, **{'backbone.cls_token': torch.zeros(1, 1, 16)})}, tmp_path / 'cls.ckpt')
    with pytest.raises(CheckpointMismatchError, match='backbone.model.cls_token'):
        load_released_checkpoint(model, str(tmp_path / 'cls.ckpt'), 'hmr2')
