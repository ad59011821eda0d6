"""HMR 2.0's supervised losses: summed L1 keypoint terms and summed MSE on SMPL parameters."""
from typing import Dict, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from mesh_recovery.conventions import SPIN_24, joint_indices
from mesh_recovery.geometry.camera import project_to_crop
from mesh_recovery.geometry.rotation import axis_angle_to_matrix
from mesh_recovery.registry import MODELS

# HMR 2.0 centres 3D joints on the pelvis (its joint 25 + 14, SPIN-24's pelvis_mpii).
_PELVIS = joint_indices(('pelvis_mpii', ), SPIN_24)[0]
# HMR 2.0's 2D keypoints are crop px / img_res - 0.5 (in [-0.5, 0.5]); ours are 2 px / img_res - 1.
_TO_HMR2_2D = 0.5


@MODELS.register_module()
class HMR2Loss(nn.Module):
    """The loss terms of HMR 2.0 (shubham-goel/4D-Humans ``hmr2/models/losses.py``, ``hmr2/models/hmr2.py``).

    Every term is summed over the batch, the joints and the coordinates (not
    averaged), then weighted (defaults: ``LOSS_WEIGHTS`` of
    ``hmr2/configs_hydra/experiment/hmr_vit_transformer.yaml``):

    - ``loss_keypoints_2d`` (0.01): confidence times L1 between the joints
      projected by the crop camera and the 2D targets, both in HMR 2.0's crop
      units ``[-0.5, 0.5]``;
    - ``loss_keypoints_3d`` (0.05): confidence times L1 between pelvis-centred
      predicted and target 3D joints, metres;
    - ``loss_global_orient`` (0.001), ``loss_body_pose`` (0.001): squared error
      of the rotation matrices of joint 0 and joints 1..23, samples with
      ``has_smpl`` only;
    - ``loss_betas`` (0.0005): squared error of the betas, likewise.

    The adversarial term (0.0005 in HMR 2.0, on the summed discriminator
    outputs over the batch size) is the estimator's ``loss_gan``. The forward
    signature is :class:`MeshLoss`'s (vertices are accepted and unused).

    Args:
        keypoints_2d_loss_weight, keypoints_3d_loss_weight, global_orient_loss_weight,
        body_pose_loss_weight, betas_loss_weight: The weights above.
        img_res: Side of the square crop, px.
        focal_length: Focal length of the crop camera, px (HMR 2.0: 5000).
    """

    def __init__(self, keypoints_2d_loss_weight: float = 0.01, keypoints_3d_loss_weight: float = 0.05,
                 global_orient_loss_weight: float = 0.001, body_pose_loss_weight: float = 0.001,
                 betas_loss_weight: float = 0.0005, img_res: int = 256, focal_length: float = 5000.0) -> None:
        super().__init__()
        self.weights = dict(loss_keypoints_2d=keypoints_2d_loss_weight, loss_keypoints_3d=keypoints_3d_loss_weight,
                            loss_global_orient=global_orient_loss_weight, loss_body_pose=body_pose_loss_weight,
                            loss_betas=betas_loss_weight)
        self.img_res = img_res
        self.focal_length = focal_length

    def forward(self, *, pred_rotmat: torch.Tensor, pred_betas: torch.Tensor, pred_camera: torch.Tensor,
                pred_keypoints_3d: torch.Tensor, gt_pose: torch.Tensor, gt_betas: torch.Tensor,
                gt_keypoints_2d: torch.Tensor, gt_keypoints_3d: torch.Tensor, has_smpl: torch.Tensor,
                pred_vertices: Optional[torch.Tensor] = None, gt_vertices: Optional[torch.Tensor] = None,
                **unused) -> Dict[str, torch.Tensor]:
        """Compute the weighted terms (arguments as in :meth:`MeshLoss.forward`).

        Returns:
            ``loss_keypoints_2d``, ``loss_keypoints_3d``, ``loss_global_orient``,
            ``loss_body_pose``, ``loss_betas``.
        """
        if pred_keypoints_3d.shape[1] != gt_keypoints_3d.shape[1]:
            raise ValueError(f'HMR2Loss: predicted joints {tuple(pred_keypoints_3d.shape)} do not match the '
                             f'targets {tuple(gt_keypoints_3d.shape)}')
        has_smpl = has_smpl.to(pred_betas.dtype).reshape(-1, 1)
        gt_rotmat = gt_pose if gt_pose.dim() == 4 else axis_angle_to_matrix(gt_pose.reshape(-1, 24, 3))
        pred_2d = project_to_crop(pred_keypoints_3d, pred_camera, self.focal_length, self.img_res) * _TO_HMR2_2D
        gt_2d = gt_keypoints_2d[..., :2] * _TO_HMR2_2D
        loss_2d = (gt_keypoints_2d[..., 2:] * F.l1_loss(pred_2d, gt_2d, reduction='none')).sum()
        pred_3d = pred_keypoints_3d - pred_keypoints_3d[:, _PELVIS:_PELVIS + 1]
        gt_3d = gt_keypoints_3d[..., :3] - gt_keypoints_3d[:, _PELVIS:_PELVIS + 1, :3]
        loss_3d = (gt_keypoints_3d[..., 3:] * F.l1_loss(pred_3d, gt_3d, reduction='none')).sum()
        batch = pred_rotmat.shape[0]

        def param_loss(pred: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
            return (has_smpl * F.mse_loss(pred.reshape(batch, -1), gt.reshape(batch, -1), reduction='none')).sum()

        raw = dict(loss_keypoints_2d=loss_2d, loss_keypoints_3d=loss_3d,
                   loss_global_orient=param_loss(pred_rotmat[:, 0], gt_rotmat[:, 0]),
                   loss_body_pose=param_loss(pred_rotmat[:, 1:], gt_rotmat[:, 1:]),
                   loss_betas=param_loss(pred_betas, gt_betas))
        return {k: v * self.weights[k] for k, v in raw.items()}
