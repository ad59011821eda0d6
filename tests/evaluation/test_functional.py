import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from mesh_recovery.evaluation import mpjpe, pa_mpjpe, pve


def _offset_pair():
    gt = np.arange(18, dtype=float).reshape(2, 3, 3)
    pred = gt.copy()
    pred[0, 0] += [3.0, 4.0, 0.0]  # error 5
    pred[1, 1] += [0.0, 5.0, 12.0]  # error 13
    return pred, gt


def test_mpjpe_is_the_mean_over_all_joints():
    pred, gt = _offset_pair()
    assert mpjpe(pred, gt) == pytest.approx(18.0 / 6)


def test_mpjpe_mask_averages_over_visible_joints_only():
    pred, gt = _offset_pair()
    mask = np.ones((2, 3), dtype=bool)
    mask[1, 1] = False
    assert mpjpe(pred, gt, mask) == pytest.approx(5.0 / 5)
    mask[0, 0] = False
    assert mpjpe(pred, gt, mask) == 0.0


def test_torch_inputs_give_the_same_python_float():
    pred, gt = _offset_pair()
    mask = np.array([[True, False, True], [True, True, True]])
    value = mpjpe(torch.tensor(pred), torch.tensor(gt), torch.tensor(mask))
    assert type(value) is float
    assert value == pytest.approx(mpjpe(pred, gt, mask))
    assert value == pytest.approx(18.0 / 5)


def test_scale_alignment_uses_the_least_squares_factor():
    gt = np.array([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    pred = np.array([[[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]]])
    # factor <pred, gt> / <pred, pred> = 2 / 4 -> pred becomes [[1, 0, 0], [0, 0, 0]]
    assert mpjpe(pred, gt, alignment='scale') == pytest.approx(0.5)
    assert mpjpe(pred, gt, alignment='none') == pytest.approx(1.0)
    assert mpjpe(0.5 * gt + 0.0, gt, alignment='scale') == pytest.approx(0.0, abs=1e-15)


def test_pa_mpjpe_removes_a_similarity_transform():
    rng = np.random.default_rng(0)
    gt = rng.normal(size=(10, 14, 3))
    rotation = Rotation.random(10, random_state=0).as_matrix()
    pred = 1.7 * gt @ np.swapaxes(rotation, 1, 2) + rng.normal(size=(10, 1, 3))
    assert pa_mpjpe(pred, gt) == pytest.approx(0.0, abs=1e-12)
    assert mpjpe(pred, gt) > 0.5
    assert mpjpe(pred, gt, alignment='procrustes') == pa_mpjpe(pred, gt)


def test_pa_mpjpe_does_not_undo_a_reflection():
    gt = np.array([[[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]])
    mirrored = gt * [1.0, 1.0, -1.0]
    assert pa_mpjpe(mirrored, gt) > 0.1


def test_pa_mpjpe_matches_a_per_sample_reference_with_mask():
    rng = np.random.default_rng(1)
    gt = rng.normal(size=(20, 14, 3))
    pred = gt @ Rotation.random(20, random_state=1).as_matrix() + rng.normal(scale=0.2, size=gt.shape)
    mask = rng.uniform(size=(20, 14)) > 0.3
    errors = []
    for p, g, m in zip(pred, gt, mask):
        p_c, g_c = p - p.mean(0), g - g.mean(0)
        rotation = Rotation.align_vectors(g_c, p_c)[0].as_matrix()
        scale = np.sum(g_c * (p_c @ rotation.T)) / np.sum(p_c**2)
        # Fitted on all joints, scored on the visible ones (mmpose semantics).
        errors.extend(np.linalg.norm(scale * p_c @ rotation.T + g.mean(0) - g, axis=-1)[m])
    assert pa_mpjpe(pred, gt, mask) == pytest.approx(np.mean(errors), rel=1e-12)


def test_alignment_is_fitted_on_all_joints_including_masked_ones():
    rng = np.random.default_rng(2)
    gt = rng.normal(size=(4, 14, 3))
    pred = gt + rng.normal(scale=0.1, size=gt.shape)
    mask = np.ones((4, 14), dtype=bool)
    mask[:, 0] = False
    moved = pred.copy()
    moved[:, 0] += 5.0  # a masked joint
    assert mpjpe(moved, gt, mask) == pytest.approx(mpjpe(pred, gt, mask))
    assert pa_mpjpe(moved, gt, mask) > pa_mpjpe(pred, gt, mask) + 0.01


def test_pve_is_the_mean_vertex_distance():
    gt = np.zeros((2, 4, 3))
    pred = gt.copy()
    pred[0, 0] = [0.0, 3.0, 4.0]
    pred[1, 3] = [2.0, 0.0, 0.0]
    assert pve(pred, gt) == pytest.approx(7.0 / 8)
    assert pve(torch.tensor(pred, dtype=torch.float32), torch.tensor(gt)) == pytest.approx(7.0 / 8)


def test_bad_inputs_raise_clear_errors():
    pred, gt = _offset_pair()
    with pytest.raises(ValueError, match=r'\(2, 3, 3\).*\(2, 2, 3\)'):
        mpjpe(pred, gt[:, :2])
    with pytest.raises(ValueError, match=r'pred_vertices \(2, 3, 3\).*gt_vertices \(1, 3, 3\)'):
        pve(pred, gt[:1])
    with pytest.raises(ValueError, match='selects no joint'):
        mpjpe(pred, gt, np.zeros((2, 3), dtype=bool))
    with pytest.raises(ValueError, match='selects no joint'):
        pa_mpjpe(pred[:0], gt[:0])
    with pytest.raises(ValueError, match=r'mask must have shape'):
        mpjpe(pred, gt, np.ones((2, 4), dtype=bool))
    with pytest.raises(TypeError, match='visibility > 0'):
        mpjpe(pred, gt, np.ones((2, 3)))
    with pytest.raises(ValueError, match="'procrustes'"):
        mpjpe(pred, gt, alignment='rigid')
