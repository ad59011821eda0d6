"""HMR's adversarial prior over SMPL pose and shape."""
from typing import Optional, Sequence

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mesh_recovery.geometry.rotation import axis_angle_to_matrix
from mesh_recovery.registry import MODELS

NUM_BODY_JOINTS = 23


def _mlp(channels: Sequence[int]) -> nn.Sequential:
    """Linear layers ``regressor_fc_{i}`` with ReLU ``regressor_af_{i}`` between them (mmpose names)."""
    blocks = nn.Sequential()
    for i in range(len(channels) - 1):
        blocks.add_module(f'regressor_fc_{i}', nn.Linear(channels[i], channels[i + 1]))
        if i < len(channels) - 2:
            blocks.add_module(f'regressor_af_{i}', nn.ReLU())
    return blocks


class _PoseDiscriminator(nn.Module):
    """Shared 1x1 convolutions over the 23 body-joint rotations, one linear score per joint."""

    def __init__(self, channels: Sequence[int], activation: bool) -> None:
        super().__init__()
        self.conv_blocks = nn.Sequential()
        for i in range(len(channels) - 2):
            self.conv_blocks.add_module(f'conv_{i}', nn.Conv2d(channels[i], channels[i + 1], kernel_size=1))
            if activation:
                self.conv_blocks.add_module(f'relu_{i}', nn.ReLU())
        self.fc_layer = nn.ModuleList(nn.Linear(channels[-2], 1) for _ in range(NUM_BODY_JOINTS))

    def forward(self, rotmats: torch.Tensor):
        # (B, 23, 9) -> (B, 9, 1, 23): joints along the width, shared 1x1 convs.
        feats = self.conv_blocks(rotmats.transpose(1, 2).unsqueeze(2))[:, :, 0]
        # The 23 per-joint heads in one contraction instead of a Python loop.
        weight = torch.cat([fc.weight for fc in self.fc_layer], dim=0)
        bias = torch.cat([fc.bias for fc in self.fc_layer], dim=0)
        scores = torch.einsum('bcj,jc->bj', feats, weight) + bias
        return scores, feats


class _FcDiscriminator(nn.Module):

    def __init__(self, channels: Sequence[int]) -> None:
        super().__init__()
        self.fc_blocks = _mlp(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc_blocks(x)


@MODELS.register_module()
class SMPLDiscriminator(BaseModule):
    """Score SMPL parameters as real (mocap) or fake (regressed), as in HMR.

    Outputs 25 scores per sample: one per body joint (23, global orientation
    excluded), one for the full pose, one for the shape. Parameter names and
    sizes are those of mmpose 0.x's released checkpoint:
    ``pose_discriminator.conv_blocks.conv_{0,1}`` (9->32->32, 1x1),
    ``pose_discriminator.fc_layer.{0..22}`` (32->1),
    ``full_pose_discriminator.fc_blocks.regressor_fc_{0,1,2}`` (736->1024->1024->1),
    ``shape_discriminator.fc_blocks.regressor_fc_{0,1}`` (10->5->1).
    Linear layers are initialised Xavier-normal with gain 0.01 and zero bias,
    convolutions normal with std 0.001 (mmpose intended this, but its Linear
    initialisation never ran).

    Args:
        beta_channel: Widths of the shape MLP, input 10, output 1.
        per_joint_channel: Widths of the per-joint network, input 9, output 1.
        full_pose_channel: Widths of the full-pose MLP, input ``23 * per_joint_channel[-2]``.
        per_joint_activation: ReLU after each 1x1 convolution, as in the HMR
            paper. mmpose 0.x had none (its per-joint scores were linear in the
            rotation entries); set ``False`` to reproduce it exactly.
        init_cfg: mmengine initialisation config.
    """

    def __init__(self, beta_channel: Sequence[int] = (10, 5, 1), per_joint_channel: Sequence[int] = (9, 32, 32, 1),
                 full_pose_channel: Sequence[int] = (NUM_BODY_JOINTS * 32, 1024, 1024, 1),
                 per_joint_activation: bool = True, init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        full_in = NUM_BODY_JOINTS * per_joint_channel[-2]
        checks = [
            (beta_channel[0] == 10 and beta_channel[-1] == 1,
             f'beta_channel must go 10 -> ... -> 1, got {beta_channel}'),
            (per_joint_channel[0] == 9 and per_joint_channel[-1] == 1 and len(per_joint_channel) >= 3,
             f'per_joint_channel must go 9 -> ... -> 1 with a hidden width, got {per_joint_channel}'),
            (full_pose_channel[0] == full_in and full_pose_channel[-1] == 1,
             f'full_pose_channel must go {full_in} -> ... -> 1, got {full_pose_channel}'),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(f'SMPLDiscriminator: {message}')
        self.pose_discriminator = _PoseDiscriminator(per_joint_channel, per_joint_activation)
        self.full_pose_discriminator = _FcDiscriminator(full_pose_channel)
        self.shape_discriminator = _FcDiscriminator(beta_channel)
        self._init_layers()

    def _init_layers(self) -> None:
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.normal_(module.weight, std=0.001)
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Linear):
                nn.init.xavier_normal_(module.weight, gain=0.01)
                nn.init.zeros_(module.bias)

    def forward(self, pose: torch.Tensor, betas: torch.Tensor) -> torch.Tensor:
        """Score SMPL parameters.

        Args:
            pose: ``(B, 24, 3, 3)`` rotation matrices or ``(B, 72)`` axis-angle
                (radians), global orientation first (it is ignored).
            betas: ``(B, 10)`` shape coefficients.

        Returns:
            ``(B, 25)`` scores: 23 joints, full pose, shape.
        """
        batch = betas.shape[0]
        if pose.dim() == 2 and pose.shape[1] == 72:
            rotmats = axis_angle_to_matrix(pose.reshape(batch, 24, 3))
        elif pose.dim() == 4 and pose.shape[1:] == (24, 3, 3):
            rotmats = pose
        else:
            raise ValueError(f'SMPLDiscriminator expects pose (B, 24, 3, 3) or (B, 72), got {tuple(pose.shape)}')
        body = rotmats[:, 1:].reshape(batch, NUM_BODY_JOINTS, 9)
        joint_scores, joint_feats = self.pose_discriminator(body)
        full_score = self.full_pose_discriminator(joint_feats.reshape(batch, -1))
        shape_score = self.shape_discriminator(betas)
        return torch.cat([joint_scores, full_score, shape_score], dim=1)
