"""TimmBackbone: timm networks by name, feature maps, local-only weights, no downloads."""
import pytest
import torch

timm = pytest.importorskip('timm')

from mesh_recovery.models.backbones import TimmBackbone  # noqa: E402

TINY_VIT = dict(img_size=(32, 24), patch_size=8, embed_dim=16, depth=1, num_heads=2, class_token=False)


def test_cnn_features_are_timms_forward_features():
    torch.manual_seed(0)
    net = TimmBackbone('hrnet_w18_small').eval()
    reference = timm.create_model('hrnet_w18_small', pretrained=False, num_classes=0, global_pool='').eval()
    reference.load_state_dict(net.model.state_dict())
    x = torch.randn(1, 3, 64, 64)
    (feat,) = net(x)
    assert net.out_channels == (2048, ) and feat.shape == (1, 2048, 2, 2)
    assert torch.equal(feat, reference.forward_features(x))


def test_vit_tokens_become_a_patch_grid_map():
    torch.manual_seed(0)
    net = TimmBackbone('vit_base_patch16_224', model_kwargs=TINY_VIT).eval()
    x = torch.randn(2, 3, 32, 24)
    (feat,) = net(x)
    assert net.out_channels == (16, ) and feat.shape == (2, 16, 4, 3)
    tokens = net.model.forward_features(x)  # (B, 12, 16), row-major over the 4 x 3 grid
    assert torch.equal(feat[1, :, 2, 1], tokens[1, 2 * 3 + 1])


def test_class_token_is_dropped():
    net = TimmBackbone('vit_base_patch16_224', model_kwargs=dict(TINY_VIT, class_token=True)).eval()
    x = torch.randn(1, 3, 32, 24)
    (feat,) = net(x)
    tokens = net.model.forward_features(x)
    assert tokens.shape[1] == 13 and torch.equal(feat[0, :, 0, 0], tokens[0, 1])


def test_input_width_feeds_the_central_columns():
    net = TimmBackbone('vit_base_patch16_224', model_kwargs=TINY_VIT, input_width=24).eval()
    x = torch.randn(1, 3, 32, 32)
    (feat,) = net(x)
    assert torch.equal(feat, net.model.forward_features(x[..., 4:28]).transpose(1, 2).reshape(1, 16, 4, 3))
    with pytest.raises(ValueError, match='input_width=24'):
        net(torch.randn(1, 3, 32, 16))


def test_weights_from_a_local_file_with_classifier_and_prefix(tmp_path):
    source = timm.create_model('vit_base_patch16_224', pretrained=False, num_classes=5, global_pool='', **TINY_VIT)
    with torch.no_grad():
        for p in source.parameters():
            p.normal_()
    path = tmp_path / 'vit.pth'
    torch.save({'state_dict': {f'backbone.{k}': v for k, v in source.state_dict().items()}}, path)
    net = TimmBackbone('vit_base_patch16_224', model_kwargs=TINY_VIT, pretrained=str(path))
    for key, value in net.model.state_dict().items():
        assert torch.equal(value, source.state_dict()[key]), key


def test_safetensors_file(tmp_path):
    from safetensors.torch import save_file
    source = timm.create_model('vit_base_patch16_224', pretrained=False, num_classes=0, global_pool='', **TINY_VIT)
    save_file({k: v.contiguous() for k, v in source.state_dict().items()}, str(tmp_path / 'model.safetensors'))
    net = TimmBackbone('vit_base_patch16_224', model_kwargs=TINY_VIT, pretrained=str(tmp_path / 'model.safetensors'))
    assert torch.equal(net.model.pos_embed, source.pos_embed)


def test_missing_file_names_it_and_the_source(tmp_path):
    path = tmp_path / 'absent.safetensors'
    with pytest.raises(FileNotFoundError) as err:
        TimmBackbone('vit_base_patch16_224', model_kwargs=TINY_VIT, pretrained=str(path))
    assert str(path) in str(err.value) and 'timm/<model_name>' in str(err.value)


def test_mismatched_file_lists_keys(tmp_path):
    other = timm.create_model('vit_base_patch16_224', pretrained=False, num_classes=0, global_pool='',
                              **dict(TINY_VIT, depth=2))
    torch.save(other.state_dict(), tmp_path / 'deeper.pth')
    with pytest.raises(KeyError, match='blocks.1.attn.qkv.weight'):
        TimmBackbone('vit_base_patch16_224', model_kwargs=TINY_VIT, pretrained=str(tmp_path / 'deeper.pth'))
    wider = timm.create_model('vit_base_patch16_224', pretrained=False, num_classes=0, global_pool='',
                              **dict(TINY_VIT, embed_dim=32))
    torch.save(wider.state_dict(), tmp_path / 'wider.pth')
    with pytest.raises(ValueError, match='pos_embed'):
        TimmBackbone('vit_base_patch16_224', model_kwargs=TINY_VIT, pretrained=str(tmp_path / 'wider.pth'))


def test_unknown_name_is_refused():
    with pytest.raises(ValueError, match="no model 'hrnet_w33'"):
        TimmBackbone('hrnet_w33')


def test_never_asks_timm_to_download(monkeypatch):
    calls = []
    real = timm.create_model

    def spy(name, **kwargs):
        calls.append(kwargs.get('pretrained'))
        return real(name, **kwargs)
    monkeypatch.setattr(timm, 'create_model', spy)
    TimmBackbone('vit_base_patch16_224', model_kwargs=TINY_VIT)
    assert calls == [False]
