"""PCK, AUC, per-joint errors and Human3.6M action names against hand-computed values."""
import numpy as np
import pytest
import torch

from mesh_recovery.evaluation import auc, h36m_action, mpjpe, pck, pck_curve, per_joint_errors
from mesh_recovery.evaluation.functional import AUC_THRESHOLDS_MM


def _offset(num=3, joints=17, distance=100.0):
    """Integer-millimetre joints and a prediction exactly ``distance`` off each one, along an axis."""
    rng = np.random.default_rng(0)
    gt = rng.integers(-500, 500, (num, joints, 3)).astype(np.float64)
    direction = np.zeros((num, joints, 3))
    axis = rng.integers(0, 3, (num, joints))
    direction[np.arange(num)[:, None], np.arange(joints)[None], axis] = rng.choice([-1.0, 1.0], (num, joints))
    return gt + distance * direction, gt


def test_auc_thresholds_are_the_official_31():
    assert len(AUC_THRESHOLDS_MM) == 31
    assert AUC_THRESHOLDS_MM[0] == 0.0 and AUC_THRESHOLDS_MM[-1] == 150.0 and AUC_THRESHOLDS_MM[1] == 5.0


def test_every_joint_off_by_100mm():
    pred, gt = _offset(distance=100.0)
    assert per_joint_errors(pred, gt) == pytest.approx(np.full((3, 17), 100.0))
    assert pck(pred, gt, 150.0) == pytest.approx(100.0)
    assert pck(pred, gt, 100.0 - 1e-6) == pytest.approx(0.0)
    # 100 mm is below the 10 thresholds 105..150 of the 31: AUC = 10 / 31.
    assert auc(pred, gt) == pytest.approx(100.0 * 10 / 31)


def test_pck_is_strict_and_auc_of_a_perfect_prediction():
    _, gt = _offset()
    # Error 0 is below every threshold except 0 itself: 30 of 31.
    assert auc(gt, gt) == pytest.approx(100.0 * 30 / 31)
    gt = np.random.default_rng(2).integers(-500, 500, (2, 17, 3)).astype(np.float64)
    pred = gt + np.array([150.0, 0.0, 0.0])  # exactly 150 mm off: not below 150
    assert pck(pred, gt, 150.0) == 0.0
    assert pck(pred, gt, 150.5) == 100.0


def test_mixed_errors_and_mask():
    pred, gt = _offset(num=2, joints=4, distance=200.0)
    pred[:, :2] = gt[:, :2]  # half the joints exact, half 200 mm off
    assert pck(pred, gt, 150.0) == pytest.approx(50.0)
    assert auc(pred, gt) == pytest.approx(100.0 * (30 + 0) / 62)
    mask = np.zeros((2, 4), dtype=bool)
    mask[:, :2] = True
    assert pck(pred, gt, 150.0, mask) == pytest.approx(100.0)
    assert pck_curve(pred, gt, (0.0, 250.0)).tolist() == pytest.approx([0.0, 100.0])
    assert mpjpe(pred, gt, mask=~mask) == pytest.approx(200.0)


def test_procrustes_alignment_in_pck():
    _, gt = _offset(num=2, joints=10)
    rotation = torch.tensor([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 0.0]], dtype=torch.float64).numpy()
    pred = 2.0 * gt @ rotation.T + 50.0
    assert pck(pred, gt, 150.0) < 50.0
    assert pck(pred, gt, 1e-3, alignment='procrustes') == pytest.approx(100.0)


def test_threshold_errors():
    pred, gt = _offset()
    with pytest.raises(ValueError, match='thresholds'):
        pck(pred, gt, -1.0)
    with pytest.raises(ValueError, match='alignment'):
        per_joint_errors(pred, gt, 'affine')


def test_h36m_action_on_the_real_fixture_names(fixtures_dir):
    names = np.load(fixtures_dir / 'h36m' / 'test_h36m.npz')['imgname']
    assert [h36m_action(n) for n in names] == ['Directions', 'SittingDown', 'Greeting', 'WalkDog']


@pytest.mark.parametrize('name,action', [
    ('S9_Directions_1.54138969_000001.jpg', 'Directions'),
    ('images/S11_TakingPhoto_1.58860488_000006.jpg', 'Photo'),
    ('S11_WalkingDog.60457274_000011.jpg', 'WalkDog'),
    ('S9_WalkTogether.55011271_002000.jpg', 'WalkTogether'),
])
def test_h36m_action_spellings(name, action):
    assert h36m_action(name) == action


def test_h36m_action_rejects_other_names():
    with pytest.raises(ValueError, match='S9_Directions_1.54138969_000001.jpg'):
        h36m_action('imageFiles/downtown_walking_00/image_00000.jpg')
