import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from mesh_recovery.geometry.alignment import (SimilarityTransform, align_by_procrustes,
                                              apply_similarity_transform, similarity_transform)


def _random_similarity(rng, batch):
    rotation = Rotation.random(batch, random_state=int(rng.integers(1 << 31))).as_matrix()
    scale = rng.uniform(0.3, 3.0, size=batch)
    translation = rng.normal(scale=2.0, size=(batch, 3))
    return scale, rotation, translation


def _transform(points, scale, rotation, translation):
    return scale[:, None, None] * points @ np.swapaxes(rotation, 1, 2) + translation[:, None]


def _lapack_reference(source, target):
    """Independent per-sample Umeyama with numpy's SVD and the determinant correction."""
    scales, rotations = [], []
    for src, tgt in zip(source, target):
        src_c, tgt_c = src - src.mean(0), tgt - tgt.mean(0)
        u, _, vh = np.linalg.svd(src_c.T @ tgt_c)
        d = np.diag([1.0, 1.0, np.sign(np.linalg.det(vh.T @ u.T))])
        rotation = vh.T @ d @ u.T
        rotations.append(rotation)
        scales.append(np.trace(rotation @ src_c.T @ tgt_c) / np.sum(src_c**2))
    scales, rotations = np.array(scales), np.array(rotations)
    translations = target.mean(1) - scales[:, None] * np.einsum('bij,bj->bi', rotations, source.mean(1))
    return scales, rotations, translations


@pytest.mark.parametrize('num_points', [3, 4, 14, 100])
def test_recovers_known_similarity(num_points):
    rng = np.random.default_rng(num_points)
    source = rng.normal(size=(64, num_points, 3))
    scale, rotation, translation = _random_similarity(rng, 64)
    target = _transform(source, scale, rotation, translation)

    found = similarity_transform(source, target)

    assert isinstance(found, SimilarityTransform)
    np.testing.assert_allclose(found.scale, scale, rtol=1e-10)
    np.testing.assert_allclose(found.rotation, rotation, atol=1e-10)
    np.testing.assert_allclose(found.translation, translation, atol=1e-9)
    np.testing.assert_allclose(align_by_procrustes(source, target), target, atol=1e-9)


@pytest.mark.parametrize('dtype,tol', [(torch.float64, 1e-10), (torch.float32, 2e-5)])
def test_torch_inputs_match_known_similarity(dtype, tol):
    rng = np.random.default_rng(1)
    source = rng.normal(size=(32, 14, 3))
    scale, rotation, translation = _random_similarity(rng, 32)
    target = _transform(source, scale, rotation, translation)

    found = similarity_transform(torch.tensor(source, dtype=dtype), torch.tensor(target, dtype=dtype))
    aligned = align_by_procrustes(torch.tensor(source, dtype=dtype), torch.tensor(target, dtype=dtype))

    assert found.rotation.dtype == dtype and aligned.dtype == dtype
    np.testing.assert_allclose(found.scale.numpy(), scale, rtol=tol)
    np.testing.assert_allclose(found.rotation.numpy(), rotation, atol=tol)
    np.testing.assert_allclose(found.translation.numpy(), translation, atol=10 * tol)
    np.testing.assert_allclose(aligned.numpy(), target, atol=10 * tol)


def test_mirrored_target_gives_proper_optimal_rotation():
    rng = np.random.default_rng(2)
    source = rng.normal(size=(16, 14, 3))
    scale, rotation, translation = _random_similarity(rng, 16)
    mirrored = source * np.array([1.0, 1.0, -1.0])
    target = _transform(mirrored, scale, rotation, translation) + rng.normal(scale=0.01, size=source.shape)
    src_c = source - source.mean(1, keepdims=True)
    tgt_c = target - target.mean(1, keepdims=True)
    # The unconstrained (naive) SVD solution is a reflection for every sample.
    u, _, vh = np.linalg.svd(np.swapaxes(src_c, 1, 2) @ tgt_c)
    assert np.all(np.linalg.det(np.swapaxes(vh, 1, 2) @ np.swapaxes(u, 1, 2)) < 0)

    found = similarity_transform(source, target)

    np.testing.assert_allclose(np.linalg.det(found.rotation), 1.0, atol=1e-12)
    for i in range(len(source)):
        # scipy's Kabsch (rotations only) as an independent oracle.
        expected = Rotation.align_vectors(tgt_c[i], src_c[i])[0].as_matrix()
        np.testing.assert_allclose(found.rotation[i], expected, atol=1e-9)
    best_scale = np.einsum('bnc,bnc->b', tgt_c, src_c @ np.swapaxes(found.rotation, 1, 2))
    np.testing.assert_allclose(found.scale, best_scale / np.sum(src_c**2, axis=(1, 2)), rtol=1e-10)


def test_matches_lapack_reference_on_random_and_flat_point_sets():
    rng = np.random.default_rng(3)
    source = rng.normal(size=(300, 14, 3))
    target = rng.normal(size=(300, 14, 3))
    target[100:200] = source[100:200] * [1, -1, 1] + rng.normal(scale=0.1, size=(100, 14, 3))
    source[200:250, :, 2] = 0.0  # planar sources
    target[250:, :, 1] = 0.0  # planar targets

    found = similarity_transform(source, target)
    scale, rotation, translation = _lapack_reference(source, target)

    np.testing.assert_allclose(found.scale, scale, atol=1e-12)
    np.testing.assert_allclose(found.rotation, rotation, atol=1e-9)
    np.testing.assert_allclose(found.translation, translation, atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(found.rotation), 1.0, atol=1e-12)


def test_collinear_points_reach_the_optimal_residual():
    rng = np.random.default_rng(4)
    source = rng.normal(size=(50, 14, 3))
    line = rng.normal(size=(50, 14, 1)) * rng.normal(size=(50, 1, 3)) + rng.normal(size=(50, 1, 3))
    for src, tgt in ((source, line), (line, source)):
        # The rotation about the line is free, so compare the fitted residual, not R.
        aligned = align_by_procrustes(src, tgt)
        expected = _transform(src, *_lapack_reference(src, tgt))
        np.testing.assert_allclose(np.sum((aligned - tgt)**2, axis=(1, 2)),
                                   np.sum((expected - tgt)**2, axis=(1, 2)), rtol=1e-9, atol=1e-12)
        assert np.all(np.isfinite(similarity_transform(src, tgt).rotation))


def test_degenerate_source_maps_onto_target_centroid():
    rng = np.random.default_rng(5)
    source = rng.normal(size=(3, 6, 3))
    target = rng.normal(size=(3, 6, 3))
    source[1] = [0.1, 0.2, 0.3]  # all points equal (mean not exact in floating point)
    source[2] = 0.0

    found = similarity_transform(source, target)
    aligned = align_by_procrustes(source, target)

    np.testing.assert_array_equal(found.scale[1:], 0.0)
    np.testing.assert_array_equal(found.rotation[1:], np.eye(3)[None].repeat(2, 0))
    np.testing.assert_allclose(found.translation[1:], target[1:].mean(1), atol=1e-15)
    np.testing.assert_allclose(aligned[1:], np.broadcast_to(target[1:].mean(1, keepdims=True), (2, 6, 3)),
                               atol=1e-15)
    # The regular sample in the same batch is unaffected.
    np.testing.assert_allclose(aligned[0], align_by_procrustes(source[:1], target[:1])[0], atol=1e-14)


def test_degenerate_target_gives_zero_scale_without_nan():
    rng = np.random.default_rng(6)
    source = rng.normal(size=(2, 5, 3))
    target = np.zeros((2, 5, 3))
    target[1] = [1.5, -2.0, 0.25]

    found = similarity_transform(source, target)

    np.testing.assert_allclose(found.scale, 0.0, atol=1e-15)
    np.testing.assert_allclose(np.linalg.det(found.rotation), 1.0, atol=1e-12)
    np.testing.assert_allclose(align_by_procrustes(source, target), target, atol=1e-14)


def test_apply_matches_definition_and_blocks_agree():
    rng = np.random.default_rng(7)
    batch = 8192 + 37  # more than one numpy block
    source = rng.normal(size=(batch, 4, 3))
    target = rng.normal(size=(batch, 4, 3))

    found = similarity_transform(source, target)
    aligned = align_by_procrustes(source, target)
    tail = similarity_transform(source[-37:], target[-37:])

    np.testing.assert_allclose(aligned, _transform(source, *found), atol=1e-12)
    np.testing.assert_allclose(apply_similarity_transform(source, found), aligned, atol=1e-12)
    for whole, part in zip(found, tail):
        np.testing.assert_allclose(whole[-37:], part, atol=1e-14)


def test_bad_inputs_raise_clear_errors():
    points = np.zeros((2, 5, 3))
    with pytest.raises(TypeError, match='numpy arrays or both torch tensors'):
        similarity_transform(points, torch.zeros(2, 5, 3))
    with pytest.raises(ValueError, match=r'\(2, 5, 3\).*\(2, 4, 3\)'):
        align_by_procrustes(points, np.zeros((2, 4, 3)))
    with pytest.raises(ValueError, match='shape'):
        similarity_transform(np.zeros((5, 3)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match='N = 0'):
        similarity_transform(np.zeros((2, 0, 3)), np.zeros((2, 0, 3)))
