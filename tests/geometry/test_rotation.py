from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from mesh_recovery.geometry import (axis_angle_to_matrix, axis_angle_to_rot6d, matrix_to_axis_angle,
                                    matrix_to_rot6d, rot6d_to_axis_angle, rot6d_to_matrix)

MEAN_PARAMS = Path(__file__).resolve().parents[2].parent / 'shared' / 'fixtures' / 'mmpose_v0.29' / 'smpl' / \
    'smpl_mean_params.npz'


def random_axis_angle(n, max_angle=np.pi - 1e-3, seed=0):
    gen = torch.Generator().manual_seed(seed)
    axis = torch.nn.functional.normalize(torch.randn(n, 3, generator=gen, dtype=torch.float64), dim=-1)
    return axis * torch.rand(n, 1, generator=gen, dtype=torch.float64) * max_angle


def test_axis_angle_to_matrix_matches_scipy():
    aa = random_axis_angle(500)
    expected = Rotation.from_rotvec(aa.numpy()).as_matrix()
    assert np.abs(axis_angle_to_matrix(aa).numpy() - expected).max() < 1e-12


@pytest.mark.parametrize('angle', [0.0, 1e-9, 1e-4, 0.5, 3.0, np.pi - 1e-6, np.pi])
def test_axis_angle_round_trip_across_angles(angle):
    axis = torch.nn.functional.normalize(torch.tensor([[0.3, -0.5, 0.8], [1.0, 0, 0], [0, 0, -1.0]],
                                                      dtype=torch.float64), dim=-1)
    matrix = axis_angle_to_matrix(axis * angle)
    back = axis_angle_to_matrix(matrix_to_axis_angle(matrix))
    assert (back - matrix).abs().max() < 1e-9
    if angle < np.pi - 1e-3:
        assert (matrix_to_axis_angle(matrix) - axis * angle).abs().max() < 1e-9


def test_batched_shapes_and_float32():
    aa = random_axis_angle(24 * 4).float().view(4, 24, 3)
    matrix = axis_angle_to_matrix(aa)
    assert matrix.shape == (4, 24, 3, 3) and matrix.dtype == torch.float32
    assert (matrix_to_axis_angle(matrix) - aa).abs().max() < 1e-4


def test_gradient_is_finite_at_zero():
    aa = torch.zeros(2, 3, dtype=torch.float64, requires_grad=True)
    (axis_angle_to_matrix(aa) * torch.arange(9.0, dtype=torch.float64).view(3, 3)).sum().backward()
    assert torch.isfinite(aa.grad).all()
    # d R / d v at 0 is the skew matrix of the direction: check one entry analytically.
    assert aa.grad[0].abs().sum() > 0


def test_rot6d_round_trip_and_orthonormality():
    matrix = axis_angle_to_matrix(random_axis_angle(200))
    assert (rot6d_to_matrix(matrix_to_rot6d(matrix)) - matrix).abs().max() < 1e-12
    noisy = torch.randn(200, 6, dtype=torch.float64)
    rot = rot6d_to_matrix(noisy)
    eye = torch.eye(3, dtype=torch.float64)
    assert (rot.transpose(-1, -2) @ rot - eye).abs().max() < 1e-12
    assert (torch.linalg.det(rot) - 1).abs().max() < 1e-12
    # The first column is the normalised first (3, 2)-column of the input.
    first = noisy.view(-1, 3, 2)[..., 0]
    assert (rot[..., 0] - first / first.norm(dim=-1, keepdim=True)).abs().max() < 1e-12
    aa = random_axis_angle(50)
    assert (rot6d_to_axis_angle(axis_angle_to_rot6d(aa)) - aa).abs().max() < 1e-9


def test_mmpose_mean_params_global_orientation_is_180_degrees_about_x():
    if not MEAN_PARAMS.is_file():
        pytest.skip(f'real fixture absent: {MEAN_PARAMS}')
    pose = torch.from_numpy(np.load(MEAN_PARAMS)['pose']).double().view(24, 6)
    rotations = rot6d_to_matrix(pose)
    eye = torch.eye(3, dtype=torch.float64)
    assert (rotations.transpose(-1, -2) @ rotations - eye).abs().max() < 1e-6
    aa = matrix_to_axis_angle(rotations[0])
    assert abs(aa.norm().item() - np.pi) < np.deg2rad(1)
    assert abs(abs(aa[0].item()) / aa.norm().item() - 1) < 1e-3
