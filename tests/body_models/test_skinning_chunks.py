"""Chunked blend shapes and sparse skinning chunks against the plain dense formulas."""
import numpy as np
import pytest
import torch
from synthetic_smpl import SMALL_NUM_VERTICES

from mesh_recovery.body_models import SMPL, blend_shapes, lbs
from mesh_recovery.body_models.blend_shapes import BlendShapes
from mesh_recovery.body_models.skinning_weights import SkinningWeights, skinning_vertex_order


@pytest.mark.parametrize('onednn', [True, False])
def test_blend_shapes_layouts_agree_with_the_formula(monkeypatch, onednn):
    gen = torch.Generator().manual_seed(0)
    num_verts, num_dirs = 50, 17
    template, dirs = torch.randn(3 * num_verts, generator=gen), torch.randn(num_dirs, 3 * num_verts, generator=gen)
    coeffs = torch.randn(40, num_dirs, generator=gen)
    expected = (template + coeffs @ dirs).view(40, num_verts, 3)
    if not onednn:
        monkeypatch.setattr(blend_shapes, 'onednn_gemm_available', lambda: False)
    wide = BlendShapes(template, dirs).evaluator(coeffs)(10, 35)
    assert wide.shape == (40, 3, 25)
    torch.testing.assert_close(wide, expected[:, 10:35].transpose(1, 2), rtol=1e-5, atol=1e-5)
    tall = BlendShapes(template, dirs).tall(coeffs)
    assert tall.shape == (num_verts, 3, 40)
    torch.testing.assert_close(tall, expected.permute(1, 2, 0), rtol=1e-5, atol=1e-5)
    # New values in the same memory must give new results (no kernel caches by address).
    layer, reused = BlendShapes(template, dirs), coeffs.clone()
    for scale in (1.0, -2.0):
        reused.copy_(coeffs * scale)
        torch.testing.assert_close(layer.tall(reused), (template + reused @ dirs).view(40, num_verts, 3).permute(1, 2, 0),
                                   rtol=1e-5, atol=1e-4)
    # With autograd the tall product falls back to torch.mm and carries gradients.
    leaf = coeffs.clone().requires_grad_()
    BlendShapes(template, dirs).tall(leaf).sum().backward()
    torch.testing.assert_close(leaf.grad, dirs.sum(1).expand(40, -1), rtol=1e-5, atol=1e-4)


def test_onednn_probe_is_a_bool_and_respects_the_backend_switch(monkeypatch):
    assert isinstance(blend_shapes.onednn_gemm_available(), bool)
    monkeypatch.setattr(torch.backends.mkldnn, 'enabled', False)
    assert blend_shapes.onednn_gemm_available() is False


@pytest.mark.parametrize('onednn', [True, False])
def test_tall_and_wide_paths_give_the_same_smpl_outputs_and_gradients(neutral_pkl, tmp_path, monkeypatch, onednn):
    path, _ = neutral_pkl
    regressor = np.random.default_rng(3).random((5, SMALL_NUM_VERTICES)).astype(np.float32)
    np.save(tmp_path / 'reg.npy', regressor)
    model = SMPL(path, joints_regressor=str(tmp_path / 'reg.npy'))
    if not onednn:
        monkeypatch.setattr(blend_shapes, 'onednn_gemm_available', lambda: False)
    gen = torch.Generator().manual_seed(4)
    betas, pose = torch.randn(40, 10, generator=gen), torch.randn(40, 72, generator=gen) * 0.5

    def run(min_batch, grad):
        monkeypatch.setattr(lbs, 'TALL_LAYOUT_MIN_BATCH', min_batch)
        b, p = betas.clone().requires_grad_(grad), pose.clone().requires_grad_(grad)
        out = model(b, p)
        if not grad:
            return out, None
        (out.vertices.square().sum() + out.joints.square().sum() + out.joints_smpl.sum()).backward()
        return out, (b.grad, p.grad)

    for grad in (False, True):
        (tall, tall_grads), (wide, wide_grads) = run(32, grad), run(10 ** 9, grad)
        for a, b in zip(tall, wide):
            torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
        if grad:
            for a, b in zip(tall_grads, wide_grads):
                # float32 sums over thousands of vertices: compare against the gradient's scale.
                assert (a - b).abs().max() < 1e-5 * b.abs().max()
    expected = torch.einsum('kv,bvc->bkc', torch.from_numpy(regressor), tall.vertices.detach())
    torch.testing.assert_close(tall.joints.detach(), expected, atol=1e-4, rtol=1e-5)
    model.double()
    monkeypatch.setattr(lbs, 'TALL_LAYOUT_MIN_BATCH', 32)
    tall64 = model(betas.double(), pose.double())
    monkeypatch.setattr(lbs, 'TALL_LAYOUT_MIN_BATCH', 10 ** 9)
    for a, b in zip(tall64, model(betas.double(), pose.double())):
        assert a.dtype == torch.float64
        torch.testing.assert_close(a, b, atol=1e-10, rtol=1e-10)


def test_sparse_chunks_skin_exactly_like_all_joints():
    rng = np.random.default_rng(1)
    num_verts, num_joints = 300, 24
    weights = np.zeros((num_verts, num_joints), np.float32)
    owner = rng.integers(0, num_joints, num_verts)
    weights[np.arange(num_verts), owner] = 1.0
    weights[np.arange(num_verts), (owner + 1) % num_joints] += rng.random(num_verts).astype(np.float32)
    order = skinning_vertex_order(weights)
    assert sorted(order.tolist()) == list(range(num_verts))
    weights_t = torch.from_numpy(weights[order].T.copy())
    skin = SkinningWeights(weights_t)
    chunks = skin.chunks(64)
    assert [c.start for c in chunks] == list(range(0, num_verts, 64)) and chunks[-1].end == num_verts
    # Grouped by their strongest joint, chunks of 64 vertices touch few of the 24 joints.
    assert all(c.joints is not None and len(c.joints) <= 8 for c in chunks)
    affines = torch.randn(5 * 12, num_joints)
    dense = affines @ weights_t
    for c in chunks:
        torch.testing.assert_close(affines.index_select(1, c.joints) @ c.weights_t, dense[:, c.start:c.end])
    assert skin.chunks(64) is chunks  # cached per chunk size
    assert skin.chunks(num_verts)[0].joints is None  # every joint used: the dense block itself
