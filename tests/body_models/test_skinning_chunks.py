"""The CPU fast path (tall layout, oneDNN, sparse skinning chunks) held to the reference ``lbs``."""
import numpy as np
import pytest
import torch
from synthetic_smpl import SMALL_NUM_VERTICES, make_smpl_arrays, write_official_pickle

from mesh_recovery.body_models import SMPL, fast_cpu_body, lbs
from mesh_recovery.body_models.fast_cpu_body import FAST_CPU_MIN_BATCH, skinning_vertex_order

# Large enough for several skinning chunks of the small test model.
BATCH = 40
assert FAST_CPU_MIN_BATCH < BATCH


@pytest.fixture
def model(neutral_pkl, tmp_path):
    path, _ = neutral_pkl
    regressor = np.random.default_rng(3).random((5, SMALL_NUM_VERTICES)).astype(np.float32)
    np.save(tmp_path / 'reg.npy', regressor)
    return SMPL(path, joints_regressor=str(tmp_path / 'reg.npy'))


def _inputs(dtype=torch.float32):
    gen = torch.Generator().manual_seed(4)
    betas = torch.randn(BATCH, 10, generator=gen, dtype=torch.float64)
    pose = torch.randn(BATCH, 72, generator=gen, dtype=torch.float64) * 0.5
    return betas.to(dtype), pose.to(dtype)


def _spy_reference(monkeypatch):
    """Count the calls that reach the reference ``lbs`` through the SMPL layer."""
    calls = []

    def spy(*args):
        calls.append(args[0].shape[0])
        return lbs.lbs(*args)

    monkeypatch.setattr('mesh_recovery.body_models.smpl.lbs', spy)
    return calls


def _assert_close_to_scale(actual, expected, tol):
    error, scale = (actual - expected).abs().max().item(), expected.abs().max().item()
    assert error <= tol * scale, f'max |difference| {error:.3e} > {tol} x max |value| {scale:.3e}'


@pytest.mark.parametrize('dtype, tol', [(torch.float64, 1e-12), (torch.float32, 2e-6)])
@pytest.mark.parametrize('onednn', [True, False])
def test_fast_path_equals_reference(model, monkeypatch, dtype, tol, onednn):
    """Every output agrees to ``tol`` times its largest magnitude: 1e-12 in float64, 2e-6 in
    float32 (about 16 ulps; the test regressor's joints are sums over all vertices)."""
    if not onednn:
        monkeypatch.setattr(fast_cpu_body, 'onednn_gemm_available', lambda: False)
    model = model.to(dtype)
    betas, pose = _inputs(dtype)
    calls = _spy_reference(monkeypatch)
    fast = model(betas, pose)
    assert calls == []  # the fast path ran
    model.fast_cpu = False
    reference = model(betas, pose)
    assert calls == [BATCH]  # the reference ran
    for a, b in zip(fast, reference):
        assert a.dtype == dtype
        _assert_close_to_scale(a, b, tol)
    # Small chunks (many of them, each with its own joints) change nothing either.
    model.fast_cpu = True
    monkeypatch.setattr(fast_cpu_body, 'chunk_size', lambda batch, num_vertices: 97)
    for a, b in zip(model(betas, pose), reference):
        _assert_close_to_scale(a, b, tol)
    chunks = model._fast_bodies[('neutral', dtype)].chunks(BATCH)
    assert len(chunks) == -(-SMALL_NUM_VERTICES // 97) and any(c.joints is not None for c in chunks)
    model.float()


def test_threshold_alone_selects_the_path(model, monkeypatch):
    """Below the threshold the layer runs the reference, with or without autograd; at or above
    it the fast path, with autograd too; the monkeypatched threshold moves a batch of 40 from
    the fast path to the reference."""
    betas, pose = _inputs()
    calls = _spy_reference(monkeypatch)
    model(betas[:FAST_CPU_MIN_BATCH - 1], pose[:FAST_CPU_MIN_BATCH - 1])
    model(betas[:FAST_CPU_MIN_BATCH - 1].requires_grad_(), pose[:FAST_CPU_MIN_BATCH - 1])
    assert calls == [FAST_CPU_MIN_BATCH - 1] * 2
    model(betas.clone().requires_grad_(), pose)
    with torch.no_grad():
        model(betas, pose)
    assert len(calls) == 2
    monkeypatch.setattr(fast_cpu_body, 'FAST_CPU_MIN_BATCH', 10 ** 9)
    model(betas.clone().requires_grad_(), pose)
    assert calls[-1] == BATCH and len(calls) == 3


def test_model_without_pose_blend_shapes_takes_the_fast_path_at_every_batch(tmp_path, monkeypatch):
    """A model whose posedirs are zero (like the free body) runs the fast path from batch 1,
    with and without autograd, with the reference's values and gradients."""
    arrays = make_smpl_arrays(SMALL_NUM_VERTICES, seed=7)
    arrays['posedirs'] = np.zeros_like(arrays['posedirs'])
    model = SMPL(write_official_pickle(tmp_path / 'SMPL_NEUTRAL.pkl', arrays)).double()
    betas, pose = (t.double() for t in _inputs())
    calls = _spy_reference(monkeypatch)
    for batch in sorted({1, 3, FAST_CPU_MIN_BATCH - 1, 2 * FAST_CPU_MIN_BATCH + 1}):
        results = {}
        for fast in (True, False):
            model.fast_cpu = fast
            b, p = betas[:batch].clone().requires_grad_(), pose[:batch].clone().requires_grad_()
            output = model(b, p)
            _weighted_loss(output, torch.Generator().manual_seed(8)).backward()
            results[fast] = (output, b.grad, p.grad)
        assert calls == [batch]  # only the fast_cpu=False pass reached the reference
        calls.clear()
        (fast_out, fast_db, fast_dp), (ref_out, ref_db, ref_dp) = results[True], results[False]
        for a, b in zip(fast_out, ref_out):
            _assert_close_to_scale(a.detach(), b.detach(), 1e-12)
        _assert_close_to_scale(fast_db, ref_db, 1e-11)
        _assert_close_to_scale(fast_dp, ref_dp, 1e-11)


def _weighted_loss(output, gen):
    """A scalar mixing every output with random weights (so every gradient path counts)."""
    return sum((t * torch.randn(t.shape, generator=gen, dtype=t.dtype)).sum() for t in output)


@pytest.mark.parametrize('dtype, tol', [(torch.float64, 1e-11), (torch.float32, 2e-5)])
def test_fast_path_gradients_equal_the_reference(model, monkeypatch, dtype, tol):
    """With autograd the fast path gives the reference's values and its gradients w.r.t. betas
    and pose (axis-angle, so the rotation conversion is inside), to ``tol`` times the largest
    gradient; also with many small sparse chunks."""
    model = model.to(dtype)
    betas, pose = _inputs(dtype)
    calls = _spy_reference(monkeypatch)
    grads = {}
    for name, fast in (('reference', False), ('fast', True), ('small chunks', True)):
        if name == 'small chunks':
            monkeypatch.setattr(fast_cpu_body, 'chunk_size', lambda batch, num_vertices: 97)
        model.fast_cpu = fast
        b, p = betas.clone().requires_grad_(), pose.clone().requires_grad_()
        output = model(b, p)
        _weighted_loss(output, torch.Generator().manual_seed(6)).backward()
        grads[name] = (output, b.grad, p.grad)
    assert calls == [BATCH]  # only the first pass ran the reference
    (ref_out, ref_db, ref_dp) = grads['reference']
    for name in ('fast', 'small chunks'):
        out, db, dp = grads[name]
        for a, b in zip(out, ref_out):
            _assert_close_to_scale(a.detach(), b.detach(), tol)
        _assert_close_to_scale(db, ref_db, tol)
        _assert_close_to_scale(dp, ref_dp, tol)
    model.float()


def test_fast_path_gradients_match_central_differences(neutral_pkl, monkeypatch):
    """In float64 the fast path's autograd gradients match central differences of itself
    (batch of 40, no autograd for the differences)."""
    path, _ = neutral_pkl
    model = SMPL(path).double()
    betas, pose = (t.double() for t in _inputs())
    b, p = betas.clone().requires_grad_(), pose.clone().requires_grad_()
    calls = _spy_reference(monkeypatch)
    out = model(b, p)
    # Directional derivatives of a scalar loss: autograd against central differences.
    gen = torch.Generator().manual_seed(5)
    weights = torch.randn(out.vertices.shape, generator=gen, dtype=torch.float64)
    (out.vertices * weights).sum().backward()
    for _ in range(3):
        db, dp = (torch.randn(t.shape, generator=gen, dtype=torch.float64) for t in (b, p))
        with torch.no_grad():
            plus = (model(b + 1e-6 * db, p + 1e-6 * dp).vertices * weights).sum()
            minus = (model(b - 1e-6 * db, p - 1e-6 * dp).vertices * weights).sum()
        numeric = ((plus - minus) / 2e-6).item()
        analytic = ((b.grad * db).sum() + (p.grad * dp).sum()).item()
        assert abs(numeric - analytic) <= 1e-6 * max(1.0, abs(analytic))
    assert calls == []  # every pass, autograd included, took the fast path


def test_onednn_switch_is_read_on_every_call(monkeypatch):
    monkeypatch.setattr(torch.backends.mkldnn, 'enabled', False)
    assert fast_cpu_body.onednn_gemm_available() is False


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
    chunks = fast_cpu_body._sparse_chunks(weights_t, 64)
    assert [c.start for c in chunks] == list(range(0, num_verts, 64)) and chunks[-1].end == num_verts
    # Grouped by their strongest joint, chunks of 64 vertices touch few of the 24 joints.
    assert all(c.joints is not None and len(c.joints) <= 8 for c in chunks)
    affines = torch.randn(5 * 12, num_joints)
    dense = affines @ weights_t
    for c in chunks:
        torch.testing.assert_close(affines.index_select(1, c.joints) @ c.weights_t, dense[:, c.start:c.end])
    assert fast_cpu_body._sparse_chunks(weights_t, num_verts)[0].joints is None  # all joints: the dense block
