"""Chunked blend shapes and sparse skinning chunks against the plain dense formulas."""
import numpy as np
import torch

from mesh_recovery.body_models import blend_shapes
from mesh_recovery.body_models.blend_shapes import BlendShapes
from mesh_recovery.body_models.skinning_weights import SkinningWeights, skinning_vertex_order


def test_blend_shapes_layouts_agree_with_the_formula(monkeypatch):
    gen = torch.Generator().manual_seed(0)
    num_verts, num_dirs = 50, 17
    template, dirs = torch.randn(3 * num_verts, generator=gen), torch.randn(num_dirs, 3 * num_verts, generator=gen)
    coeffs = torch.randn(40, num_dirs, generator=gen)
    expected = (template + coeffs @ dirs).view(40, num_verts, 3)

    def run(start, end):
        return BlendShapes(template, dirs).evaluator(coeffs)(start, end)

    tall = run(10, 35)  # batch 40 >= TALL_LAYOUT_MIN_BATCH: (3c, P) x (P, B)
    monkeypatch.setattr(blend_shapes, 'TALL_LAYOUT_MIN_BATCH', 10 ** 9)
    wide = run(10, 35)
    for out in (tall, wide):
        assert out.shape == (40, 3, 25)
        torch.testing.assert_close(out, expected[:, 10:35].transpose(1, 2), rtol=1e-5, atol=1e-5)


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
