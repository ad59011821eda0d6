"""SMPLDiscriminator: released-checkpoint names and sizes, inputs, initialisation."""
import math

import pytest
import torch

from mesh_recovery.geometry.rotation import axis_angle_to_matrix
from mesh_recovery.models.discriminators import SMPLDiscriminator


def test_names_and_shapes_match_mmpose():
    shapes = {k: tuple(v.shape) for k, v in SMPLDiscriminator().state_dict().items()}
    expected = {
        'pose_discriminator.conv_blocks.conv_0.weight': (32, 9, 1, 1),
        'pose_discriminator.conv_blocks.conv_0.bias': (32,),
        'pose_discriminator.conv_blocks.conv_1.weight': (32, 32, 1, 1),
        'pose_discriminator.conv_blocks.conv_1.bias': (32,),
        'full_pose_discriminator.fc_blocks.regressor_fc_0.weight': (1024, 736),
        'full_pose_discriminator.fc_blocks.regressor_fc_0.bias': (1024,),
        'full_pose_discriminator.fc_blocks.regressor_fc_1.weight': (1024, 1024),
        'full_pose_discriminator.fc_blocks.regressor_fc_1.bias': (1024,),
        'full_pose_discriminator.fc_blocks.regressor_fc_2.weight': (1, 1024),
        'full_pose_discriminator.fc_blocks.regressor_fc_2.bias': (1,),
        'shape_discriminator.fc_blocks.regressor_fc_0.weight': (5, 10),
        'shape_discriminator.fc_blocks.regressor_fc_0.bias': (5,),
        'shape_discriminator.fc_blocks.regressor_fc_1.weight': (1, 5),
        'shape_discriminator.fc_blocks.regressor_fc_1.bias': (1,),
    }
    for i in range(23):
        expected[f'pose_discriminator.fc_layer.{i}.weight'] = (1, 32)
        expected[f'pose_discriminator.fc_layer.{i}.bias'] = (1,)
    assert shapes == expected


def test_initialisation_runs():
    torch.manual_seed(0)
    disc = SMPLDiscriminator()
    big = disc.full_pose_discriminator.fc_blocks.regressor_fc_1
    assert big.weight.std().item() == pytest.approx(0.01 * math.sqrt(2.0 / 2048), rel=0.02)
    assert torch.count_nonzero(big.bias) == 0
    conv = disc.pose_discriminator.conv_blocks.conv_0
    assert conv.weight.std().item() == pytest.approx(0.001, rel=0.1)
    for fc in disc.pose_discriminator.fc_layer:
        assert fc.bias.item() == 0.0


def _randomise(disc):
    with torch.no_grad():
        for p in disc.parameters():
            p.normal_(0.0, 0.3)
    return disc


def test_scores_match_a_per_joint_reference():
    torch.manual_seed(0)
    disc = _randomise(SMPLDiscriminator()).eval()
    rotmat = axis_angle_to_matrix(torch.randn(3, 24, 3))
    betas = torch.randn(3, 10)
    scores = disc(rotmat, betas)
    assert scores.shape == (3, 25)
    # Reference written the slow, obvious way.
    x = rotmat[:, 1:].reshape(3, 23, 9)
    pd = disc.pose_discriminator
    h = x
    for conv in (pd.conv_blocks.conv_0, pd.conv_blocks.conv_1):
        h = torch.relu(h @ conv.weight[:, :, 0, 0].T + conv.bias)
    per_joint = torch.stack([pd.fc_layer[j](h[:, j])[:, 0] for j in range(23)], dim=1)
    full = disc.full_pose_discriminator.fc_blocks(h.transpose(1, 2).reshape(3, -1))
    shape = disc.shape_discriminator.fc_blocks(betas)
    assert torch.allclose(scores, torch.cat([per_joint, full, shape], dim=1), atol=1e-5)


def test_axis_angle_input_equals_rotmat_and_root_is_ignored():
    torch.manual_seed(1)
    disc = _randomise(SMPLDiscriminator()).eval()
    aa = torch.randn(2, 72)
    betas = torch.randn(2, 10)
    by_aa = disc(aa, betas)
    assert torch.allclose(by_aa, disc(axis_angle_to_matrix(aa.view(2, 24, 3)), betas), atol=1e-5)
    turned = aa.clone()
    turned[:, :3] += 1.0
    assert torch.allclose(disc(turned, betas), by_aa, atol=1e-6)


def test_mmpose_variant_without_activation_is_linear_per_joint():
    disc = _randomise(SMPLDiscriminator(per_joint_activation=False)).eval()
    a, b = torch.randn(1, 24, 3, 3), torch.randn(1, 24, 3, 3)
    betas = torch.zeros(1, 10)
    per_joint = lambda r: disc(r, betas)[:, :23]  # noqa: E731
    assert torch.allclose(per_joint(a + b) - per_joint(torch.zeros_like(a)),
                          per_joint(a) + per_joint(b) - 2 * per_joint(torch.zeros_like(a)), atol=1e-4)


def test_bad_shapes():
    with pytest.raises(ValueError, match='expects pose'):
        SMPLDiscriminator()(torch.zeros(2, 23, 3, 3), torch.zeros(2, 10))
    with pytest.raises(ValueError, match='full_pose_channel'):
        SMPLDiscriminator(full_pose_channel=(100, 1))
