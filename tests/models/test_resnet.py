"""ResNet backbone: torchvision names, local-only pretrained loading, channels_last, autocast."""
import pytest
import torch
import torchvision

from mesh_recovery.models.backbones import ResNet


def test_names_and_shapes_are_torchvisions_without_fc():
    ours = ResNet(depth=50).state_dict()
    theirs = {k: v for k, v in torchvision.models.resnet50(weights=None).state_dict().items()
              if not k.startswith('fc.')}
    assert {k: tuple(v.shape) for k, v in ours.items()} == {k: tuple(v.shape) for k, v in theirs.items()}
    assert 'layer1.0.downsample.0.weight' in ours and 'layer4.2.bn3.running_var' in ours


@pytest.mark.parametrize('depth, channels', [(18, 512), (34, 512), (50, 2048)])
def test_output_shape(depth, channels):
    net = ResNet(depth=depth).eval()
    (feat,) = net(torch.zeros(2, 3, 64, 64))
    assert feat.shape == (2, channels, 2, 2)
    assert net.out_channels == (channels,)


def test_multiple_out_indices():
    feats = ResNet(depth=18, out_indices=(1, 3)).eval()(torch.zeros(1, 3, 64, 64))
    assert [f.shape[1] for f in feats] == [128, 512]


def test_pretrained_from_local_torchvision_file(tmp_path):
    reference = torchvision.models.resnet18(weights=None)
    with torch.no_grad():
        for p in reference.parameters():
            p.normal_()
    path = tmp_path / 'resnet18.pth'
    torch.save(reference.state_dict(), path)
    net = ResNet(depth=18, pretrained=str(path))
    for key, value in net.state_dict().items():
        assert torch.equal(value, reference.state_dict()[key]), key
    x = torch.randn(1, 3, 64, 64)
    reference.eval(), net.eval()
    body = torch.nn.Sequential(*list(reference.children())[:-2])
    assert torch.allclose(net(x)[0], body(x), atol=1e-5)


def test_missing_pretrained_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match='nothing is downloaded'):
        ResNet(depth=18, pretrained=str(tmp_path / 'absent.pth'))


def test_wrong_checkpoint_is_rejected(tmp_path):
    path = tmp_path / 'r18.pth'
    torch.save(torchvision.models.resnet18(weights=None).state_dict(), path)
    with pytest.raises(KeyError, match='lacks ResNet-50 weights'):
        ResNet(depth=50, pretrained=str(path))


def test_bad_depth():
    with pytest.raises(ValueError, match='depth'):
        ResNet(depth=20)


def test_channels_last_matches_contiguous():
    torch.manual_seed(0)
    plain = ResNet(depth=18).eval()
    fast = ResNet(depth=18, channels_last=True).eval()
    fast.load_state_dict(plain.state_dict())
    x = torch.randn(2, 3, 64, 64)
    out = fast(x)[0]
    assert out.is_contiguous(memory_format=torch.channels_last)
    assert torch.allclose(out, plain(x)[0], atol=1e-4)


def test_bfloat16_autocast_backbone_returns_close_float32_features():
    torch.manual_seed(0)
    plain = ResNet(depth=18).eval()
    fast = ResNet(depth=18, autocast_dtype='bfloat16').eval()
    fast.load_state_dict(plain.state_dict())
    x = torch.randn(2, 3, 64, 64, requires_grad=True)
    out, ref = fast(x)[0], plain(x)[0]
    assert out.dtype == torch.float32
    # bfloat16 keeps 8 bits of mantissa: a few percent over 18 layers, not more.
    assert 0 < ((out - ref).norm() / ref.norm()).item() < 0.1
    out.sum().backward()
    assert x.grad is not None and all(p.grad is not None for p in fast.parameters())
    assert all(p.dtype == torch.float32 for p in fast.parameters())


def test_bad_autocast_dtype():
    with pytest.raises(ValueError, match='autocast_dtype'):
        ResNet(depth=18, autocast_dtype='int8')


def test_auto_autocast_follows_native_bfloat16_support(monkeypatch):
    from mesh_recovery.models.backbones import resnet
    assert resnet.native_bfloat16(torch.device('meta')) is None
    assert resnet.native_bfloat16(torch.device('cpu')) in (None, torch.bfloat16)
    torch.manual_seed(0)
    plain = ResNet(depth=18).eval()
    auto = ResNet(depth=18, autocast_dtype='auto').eval()
    auto.load_state_dict(plain.state_dict())
    x = torch.randn(1, 3, 64, 64)
    monkeypatch.setattr(resnet, 'native_bfloat16', lambda device: None)
    assert torch.equal(auto(x)[0], plain(x)[0])
    monkeypatch.setattr(resnet, 'native_bfloat16', lambda device: torch.bfloat16)
    out = auto(x)[0]
    assert out.dtype == torch.float32 and not torch.equal(out, plain(x)[0])
