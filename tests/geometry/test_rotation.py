from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from mesh_recovery.geometry.rotation import (axis_angle_to_matrix, axis_angle_to_rot6d, matrix_to_axis_angle,
                                             matrix_to_rot6d, rot6d_to_axis_angle, rot6d_to_matrix)

FIXTURES = Path(__file__).resolve().parents[2] / '..' / 'shared' / 'fixtures' / 'mmpose_v0.29'
MEAN_PARAMS = FIXTURES / 'smpl' / 'smpl_mean_params.npz'


def random_axes(shape, seed=0, dtype=torch.float64):
    gen = torch.Generator().manual_seed(seed)
    return torch.nn.functional.normalize(torch.randn(shape + (3, ), generator=gen, dtype=dtype), dim=-1)


def random_axis_angle(n, max_angle=np.pi - 1e-3, seed=0):
    gen = torch.Generator().manual_seed(seed + 1)
    return random_axes((n, ), seed) * torch.rand(n, 1, generator=gen, dtype=torch.float64) * max_angle


def assert_rotations(matrix, atol):
    eye = torch.eye(3, dtype=matrix.dtype)
    assert (matrix.transpose(-1, -2) @ matrix - eye).abs().max() < atol
    assert (torch.linalg.det(matrix) - 1).abs().max() < atol


def test_axis_angle_to_matrix_matches_scipy_float64_and_float32():
    aa = random_axis_angle(500)
    expected = torch.from_numpy(Rotation.from_rotvec(aa.numpy()).as_matrix())
    assert (axis_angle_to_matrix(aa) - expected).abs().max() < 1e-14
    assert (axis_angle_to_matrix(aa.float()).double() - expected).abs().max() < 2e-6


def test_axis_angle_to_matrix_by_hand():
    # 90 degrees about +z takes x to y (right-handed).
    matrix = axis_angle_to_matrix(torch.tensor([0.0, 0.0, np.pi / 2], dtype=torch.float64))
    expected = torch.tensor([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]], dtype=torch.float64)
    assert (matrix - expected).abs().max() < 1e-15


@pytest.mark.parametrize('dtype,tol', [(torch.float64, 1e-12), (torch.float32, 2e-6)])
@pytest.mark.parametrize('angle', [0.0, 1e-12, 1e-7, 1e-4, 1e-3, 1.0001e-3, 0.5, 2.0, 3.0, np.pi - 1e-2,
                                   np.pi - 1e-4, np.pi - 1e-7, np.pi])
def test_axis_angle_round_trip_batched(angle, dtype, tol):
    axes = random_axes((4, 25), seed=3)
    aa = axes * angle
    matrix = torch.from_numpy(Rotation.from_rotvec(aa.reshape(-1, 3).numpy()).as_matrix()).view(4, 25, 3, 3)
    back = matrix_to_axis_angle(matrix.to(dtype))
    assert back.shape == (4, 25, 3) and back.dtype == dtype
    back = back.double()
    assert (back.norm(dim=-1) <= np.pi + tol).all()
    # The recovered vector encodes the same rotation everywhere, pi included.
    assert (axis_angle_to_matrix(back) - matrix).abs().max() < tol
    if angle < np.pi - 1e-2:
        # Away from pi the vector itself is unique.
        assert (back - aa).abs().max() < tol
    else:
        # At and near pi, v and -v (2 pi - angle) are the same rotation up to the tolerance.
        assert (back.norm(dim=-1) - angle).abs().max() < tol
        assert (back.abs() - aa.abs()).abs().max() < tol


def test_matrix_to_axis_angle_wraps_angles_beyond_pi():
    axis = torch.tensor([0.6, 0.0, -0.8], dtype=torch.float64)
    back = matrix_to_axis_angle(axis_angle_to_matrix(axis * 4.0))
    assert torch.allclose(back, -axis * (2 * np.pi - 4.0), atol=1e-12)


def test_axis_angle_to_matrix_gradient_at_zero_is_the_skew_generator():
    jacobian = torch.autograd.functional.jacobian(axis_angle_to_matrix, torch.zeros(3, dtype=torch.float64))
    assert torch.isfinite(jacobian).all()
    # dR/dv_k at v = 0 is the cross-product matrix of the k-th basis vector.
    e_x = torch.tensor([[0.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]], dtype=torch.float64)
    e_z = torch.tensor([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]], dtype=torch.float64)
    assert torch.equal(jacobian[..., 0], e_x) and torch.equal(jacobian[..., 2], e_z)
    # Batched backward through exact zeros (float32 as in training) stays finite.
    aa = torch.zeros(8, 24, 3, requires_grad=True)
    (axis_angle_to_matrix(aa) * torch.randn(8, 24, 3, 3)).sum().backward()
    assert torch.isfinite(aa.grad).all() and aa.grad.abs().sum() > 0


@pytest.mark.parametrize('scale', [1e-5, 1e-2, 1.0])
def test_axis_angle_to_matrix_gradcheck(scale):
    aa = (scale * torch.randn(6, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(4)))
    assert torch.autograd.gradcheck(axis_angle_to_matrix, (aa.requires_grad_(True), ))


def test_matrix_to_axis_angle_gradient_is_finite_at_identity_and_pi():
    for vector in ([0.0, 0.0, 0.0], [np.pi, 0.0, 0.0], [0.0, 1.5, 0.0]):
        matrix = axis_angle_to_matrix(torch.tensor(vector, dtype=torch.float64)).requires_grad_(True)
        matrix_to_axis_angle(matrix).sum().backward()
        assert torch.isfinite(matrix.grad).all()


def test_rot6d_layout_by_hand():
    # Viewed as (3, 2): rows (0, 1), (1, 0), (0, 0) -> columns a1 = y, a2 = x, b3 = y x x = -z.
    matrix = rot6d_to_matrix(torch.tensor([0.0, 1.0, 1.0, 0.0, 0.0, 0.0]))
    assert torch.equal(matrix, torch.tensor([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, -1.0]]))
    rotation = torch.arange(9.0).view(3, 3)
    assert torch.equal(matrix_to_rot6d(rotation), torch.tensor([0.0, 1.0, 3.0, 4.0, 6.0, 7.0]))


def test_rot6d_round_trip_and_gram_schmidt():
    matrix = axis_angle_to_matrix(random_axis_angle(200))
    assert (rot6d_to_matrix(matrix_to_rot6d(matrix)) - matrix).abs().max() < 1e-14
    noisy = torch.randn(2, 100, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(5))
    rot = rot6d_to_matrix(noisy)
    assert rot.shape == (2, 100, 3, 3)
    assert_rotations(rot, 1e-12)
    a1, a2 = noisy.view(2, 100, 3, 2).unbind(-1)
    assert (rot[..., 0] - a1 / a1.norm(dim=-1, keepdim=True)).abs().max() < 1e-14
    # The second column lies in span(a1, a2) on the side of a2.
    assert ((rot[..., 1] * a2).sum(-1) > 0).all()
    assert (torch.linalg.det(torch.stack([a1, a2, rot[..., 1]], -1))).abs().max() < 1e-12
    aa = random_axis_angle(50)
    assert (rot6d_to_axis_angle(axis_angle_to_rot6d(aa)) - aa).abs().max() < 1e-12


def test_mmpose_mean_params_decode_to_180_degrees_about_x():
    if not MEAN_PARAMS.is_file():
        pytest.skip(f'real fixture absent: {MEAN_PARAMS} (shared fixtures are not checked out)')
    pose = torch.from_numpy(np.load(MEAN_PARAMS)['pose']).double()
    assert pose.shape == (144, )
    rotations = rot6d_to_matrix(pose.reshape(24, 6))
    assert_rotations(rotations, 1e-6)
    global_orient = matrix_to_axis_angle(rotations[0])
    angle = global_orient.norm().item()
    assert abs(angle - np.pi) < np.deg2rad(1.0)
    axis_to_x = np.arccos(min(1.0, abs(global_orient[0].item()) / angle))
    assert axis_to_x < np.deg2rad(1.0)
    # The body joints of the mean pose are moderate rotations, not flips.
    assert (matrix_to_axis_angle(rotations[1:]).norm(dim=-1) < np.deg2rad(60)).all()


def test_bad_shapes_and_dtypes_raise_clear_errors():
    with pytest.raises(ValueError, match=r'axis_angle must have shape \(\.\.\., 3\), got \(2, 4\)'):
        axis_angle_to_matrix(torch.zeros(2, 4))
    with pytest.raises(ValueError, match=r'rot6d must have shape \(\.\.\., 6\)'):
        rot6d_to_matrix(torch.zeros(24, 3, 2))
    with pytest.raises(ValueError, match=r'matrix must have shape \(\.\.\., 3, 3\)'):
        matrix_to_axis_angle(torch.zeros(3, 4))
    with pytest.raises(TypeError, match='floating'):
        axis_angle_to_matrix(torch.zeros(3, dtype=torch.long))
    with pytest.raises(TypeError, match='torch.Tensor'):
        axis_angle_to_matrix(np.zeros(3))
