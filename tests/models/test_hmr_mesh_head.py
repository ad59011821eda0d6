"""HMRMeshHead: mmpose sizes, mean-parameter start, iterative refinement."""
import numpy as np
import pytest
import torch

from mesh_recovery.geometry.rotation import rot6d_to_matrix
from mesh_recovery.models.heads import HMRMeshHead, load_mean_params


def test_parameter_sizes_match_released_checkpoint(mean_params_path):
    shapes = {k: tuple(v.shape) for k, v in HMRMeshHead(2048, mean_params_path).state_dict().items()}
    assert shapes == {
        'fc1.weight': (1024, 2205), 'fc1.bias': (1024,), 'fc2.weight': (1024, 1024), 'fc2.bias': (1024,),
        'decpose.weight': (144, 1024), 'decpose.bias': (144,), 'decshape.weight': (10, 1024),
        'decshape.bias': (10,), 'deccam.weight': (3, 1024), 'deccam.bias': (3,),
        'init_pose': (1, 144), 'init_shape': (1, 10), 'init_cam': (1, 3)}


def test_zero_decoders_return_the_mean_parameters(mean_params_path):
    head = HMRMeshHead(2048, mean_params_path).eval()
    for layer in (head.decpose, head.decshape, head.deccam):
        torch.nn.init.zeros_(layer.weight), torch.nn.init.zeros_(layer.bias)
    out = head((torch.randn(3, 2048, 7, 7),))
    mean = np.load(mean_params_path)
    expected_rot = rot6d_to_matrix(torch.from_numpy(mean['pose']).float().reshape(24, 6))
    assert torch.allclose(out.pred_rotmat, expected_rot.expand(3, -1, -1, -1), atol=1e-6)
    assert torch.allclose(out.pred_betas, torch.from_numpy(mean['shape']).expand(3, -1))
    assert torch.allclose(out.pred_camera, torch.tensor([[0.9, 0.0, 0.0]]).expand(3, -1))
    # The mean global orientation is a half turn about x (SPIN's upright flip).
    assert torch.allclose(out.pred_rotmat[0, 0], torch.diag(torch.tensor([1.0, -1.0, -1.0])), atol=1e-5)


def test_without_mean_params_start_is_identity():
    head = HMRMeshHead(16, None, n_iter=1).eval()
    for layer in (head.decpose, head.decshape, head.deccam):
        torch.nn.init.zeros_(layer.bias), torch.nn.init.zeros_(layer.weight)
    out = head(torch.randn(2, 16))
    assert torch.allclose(out.pred_rotmat, torch.eye(3).expand(2, 24, 3, 3), atol=1e-6)
    assert torch.equal(out.pred_camera, torch.tensor([[1.0, 0.0, 0.0]] * 2))


def test_each_iteration_adds_the_decoder_output():
    torch.manual_seed(0)
    one, three = HMRMeshHead(8, None, n_iter=1).eval(), HMRMeshHead(8, None, n_iter=3).eval()
    three.load_state_dict(one.state_dict())
    with torch.no_grad():
        one.decshape.bias.fill_(0.5), three.decshape.bias.fill_(0.5)
        for head in (one, three):
            head.decshape.weight.zero_()
    x = torch.randn(2, 8)
    assert torch.allclose(one(x).pred_betas, torch.full((2, 10), 0.5))
    assert torch.allclose(three(x).pred_betas, torch.full((2, 10), 1.5))


def test_outputs_are_rotations(mean_params_path):
    out = HMRMeshHead(32, mean_params_path).eval()(torch.randn(4, 32, 2, 2))
    eye = torch.eye(3).expand(4, 24, 3, 3)
    assert torch.allclose(out.pred_rotmat @ out.pred_rotmat.transpose(-1, -2), eye, atol=1e-5)
    assert torch.allclose(torch.linalg.det(out.pred_rotmat), torch.ones(4, 24), atol=1e-5)


def test_bad_inputs(tmp_path):
    with pytest.raises(ValueError, match='expects'):
        HMRMeshHead(16)(torch.randn(2, 8))
    with pytest.raises(FileNotFoundError, match='smpl_mean_params'):
        HMRMeshHead(16, str(tmp_path / 'none.npz'))
    np.savez(tmp_path / 'bad.npz', pose=np.zeros(144), shape=np.zeros(9), cam=np.zeros(3))
    with pytest.raises(ValueError, match='"shape" has 9 values'):
        load_mean_params(str(tmp_path / 'bad.npz'))
