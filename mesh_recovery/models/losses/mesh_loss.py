"""HMR's supervised losses on keypoints, vertices and SMPL parameters."""
from typing import Dict, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from mesh_recovery.conventions import ROOT_JOINTS, SPIN_24, joint_indices
from mesh_recovery.geometry.camera import project_to_crop
from mesh_recovery.geometry.full_image_camera import crop_camera_to_full, project_full_to_box
from mesh_recovery.geometry.rotation import axis_angle_to_matrix
from mesh_recovery.registry import MODELS

# The mid-hip root in SPIN-24 order: joints 2 (right hip) and 3 (left hip).
_ROOT = tuple(joint_indices(ROOT_JOINTS, SPIN_24))


def _root_centred(joints: torch.Tensor) -> torch.Tensor:
    return joints - joints[:, list(_ROOT)].mean(dim=1, keepdim=True)


def _mean_over_flagged(error: torch.Tensor, flag: torch.Tensor) -> torch.Tensor:
    """Mean of ``error`` (B, ...) over the samples with ``flag`` (B,) = 1; 0 if none is flagged."""
    per_sample = error.reshape(error.shape[0], -1).mean(dim=1)
    return (per_sample * flag).sum() / flag.sum().clamp(min=1.0)


# Per-element criteria of the 2D and 3D keypoint terms. SmoothL1 (beta 1) is quadratic for the
# errors that occur (metres, normalised crop units), i.e. half an MSE; L1 (HMR 2.0's choice) keeps
# pulling at the same strength as the errors shrink.
_KEYPOINT_CRITERIA = {'smooth_l1': F.smooth_l1_loss, 'l1': F.l1_loss, 'mse': F.mse_loss}


@MODELS.register_module()
class MeshLoss(nn.Module):
    """Weighted sum terms of HMR's supervision (mmpose 0.x values by default).

    - ``loss_joints_2d``: SmoothL1 (``keypoint_criterion``) between the predicted 3D joints projected into
      the crop (normalised to [-1, 1]) and the 2D targets, times visibility,
      averaged over all joints and coordinates;
    - ``loss_joints_3d``: SmoothL1 (``keypoint_criterion``) between mid-hip-centred predicted and target
      3D joints (metres), times visibility, averaged likewise;
    - ``loss_vertex``: L1 between predicted vertices and the vertices of the
      ground-truth SMPL parameters;
    - ``loss_smpl_pose``: MSE between predicted and ground-truth rotation matrices;
    - ``loss_smpl_beta``: MSE between predicted and ground-truth betas.
    The last three are averaged over the samples with ``has_smpl`` only, so
    samples without SMPL annotations do not dilute them.

    Args:
        joints_2d_loss_weight: Weight of the 2D keypoint loss.
        joints_3d_loss_weight: Weight of the 3D keypoint loss.
        vertex_loss_weight: Weight of the vertex loss.
        smpl_pose_loss_weight: Weight of the pose loss.
        smpl_beta_loss_weight: Weight of the shape loss.
        img_res: Side of the square crop in pixels.
        focal_length: Focal length in pixels of the crop camera.
        joints_2d_frame: ``'crop'`` (HMR: the crop camera of ``focal_length``)
            or ``'full'`` (CLIFF: the crop camera converted to the source
            image's camera, its own focal length, projection in the full image,
            then expressed in the box's normalised coordinates like the targets;
            the forward pass then needs ``center``, ``scale``, ``ori_shape`` and
            ``img_focal_length``).
        keypoint_criterion: Per-element criterion of both keypoint terms:
            ``'smooth_l1'`` (default), ``'l1'`` or ``'mse'``.
    """

    def __init__(self, joints_2d_loss_weight: float = 100.0, joints_3d_loss_weight: float = 1000.0,
                 vertex_loss_weight: float = 20.0, smpl_pose_loss_weight: float = 30.0,
                 smpl_beta_loss_weight: float = 0.2, img_res: int = 224, focal_length: float = 5000.0,
                 joints_2d_frame: str = 'crop', keypoint_criterion: str = 'smooth_l1') -> None:
        super().__init__()
        if keypoint_criterion not in _KEYPOINT_CRITERIA:
            raise ValueError(f'MeshLoss keypoint_criterion must be one of {sorted(_KEYPOINT_CRITERIA)}, got '
                             f'{keypoint_criterion!r}')
        self.keypoint_criterion = _KEYPOINT_CRITERIA[keypoint_criterion]
        if joints_2d_frame not in ('crop', 'full'):
            raise ValueError(f"MeshLoss joints_2d_frame must be 'crop' (HMR) or 'full' (CLIFF), got "
                             f'{joints_2d_frame!r}')
        self.joints_2d_frame = joints_2d_frame
        self.joints_2d_loss_weight = joints_2d_loss_weight
        self.joints_3d_loss_weight = joints_3d_loss_weight
        self.vertex_loss_weight = vertex_loss_weight
        self.smpl_pose_loss_weight = smpl_pose_loss_weight
        self.smpl_beta_loss_weight = smpl_beta_loss_weight
        self.img_res = img_res
        self.focal_length = focal_length

    def forward(self, *, pred_rotmat: torch.Tensor, pred_betas: torch.Tensor, pred_camera: torch.Tensor,
                pred_vertices: torch.Tensor, pred_keypoints_3d: torch.Tensor, gt_pose: torch.Tensor,
                gt_betas: torch.Tensor, gt_vertices: torch.Tensor, gt_keypoints_2d: torch.Tensor,
                gt_keypoints_3d: torch.Tensor, has_smpl: torch.Tensor, center: Optional[torch.Tensor] = None,
                scale: Optional[torch.Tensor] = None, ori_shape: Optional[torch.Tensor] = None,
                img_focal_length: Optional[torch.Tensor] = None) -> Dict[str, torch.Tensor]:
        """Compute the weighted loss terms.

        Args:
            pred_rotmat: ``(B, 24, 3, 3)`` predicted joint rotations.
            pred_betas: ``(B, 10)`` predicted shape.
            pred_camera: ``(B, 3)`` predicted weak-perspective camera ``(s, tx, ty)``.
            pred_vertices: ``(B, V, 3)`` predicted vertices, metres.
            pred_keypoints_3d: ``(B, J, 3)`` predicted joints (regressor, SPIN-24 order), metres.
            gt_pose: ``(B, 72)`` axis-angle or ``(B, 24, 3, 3)`` ground-truth pose.
            gt_betas: ``(B, 10)`` ground-truth shape.
            gt_vertices: ``(B, V, 3)`` vertices of the ground-truth SMPL parameters.
            gt_keypoints_2d: ``(B, J, 3)``: x, y in [-1, 1] over the crop, visibility.
            gt_keypoints_3d: ``(B, J, 4)``: X, Y, Z metres, visibility.
            has_smpl: ``(B,)`` 1 where pose/shape annotations are real, else 0.
            center: ``(B, 2)`` box centres, source-image px (``joints_2d_frame='full'``).
            scale: ``(B,)`` box sides / 200 (likewise).
            ori_shape: ``(B, 2)`` source image ``(H, W)`` px (likewise).
            img_focal_length: ``(B,)`` source image focal lengths px (likewise).

        Returns:
            Dict of scalar losses ``loss_joints_2d``, ``loss_joints_3d``,
            ``loss_vertex``, ``loss_smpl_pose``, ``loss_smpl_beta``.
        """
        num_joints = gt_keypoints_3d.shape[1]
        if pred_keypoints_3d.shape[1] != num_joints or gt_keypoints_2d.shape[1] != num_joints:
            raise ValueError(
                f'MeshLoss: predicted joints {tuple(pred_keypoints_3d.shape)} do not match targets 2D '
                f'{tuple(gt_keypoints_2d.shape)} / 3D {tuple(gt_keypoints_3d.shape)}; the SMPL joints '
                'regressor must output the 24 SPIN joints of the annotations')
        has_smpl = has_smpl.to(pred_betas.dtype).reshape(-1)
        gt_rotmat = gt_pose if gt_pose.dim() == 4 else axis_angle_to_matrix(gt_pose.reshape(-1, 24, 3))

        pred_keypoints_2d = self._project(pred_keypoints_3d, pred_camera, center, scale, ori_shape, img_focal_length)
        error_2d = self.keypoint_criterion(pred_keypoints_2d, gt_keypoints_2d[..., :2], reduction='none')
        loss_2d = (gt_keypoints_2d[..., 2:] * error_2d).mean()

        error_3d = self.keypoint_criterion(_root_centred(pred_keypoints_3d), _root_centred(gt_keypoints_3d[..., :3]),
                                           reduction='none')
        loss_3d = (gt_keypoints_3d[..., 3:] * error_3d).mean()

        loss_vertex = _mean_over_flagged(F.l1_loss(pred_vertices, gt_vertices, reduction='none'), has_smpl)
        loss_pose = _mean_over_flagged(F.mse_loss(pred_rotmat, gt_rotmat, reduction='none'), has_smpl)
        loss_beta = _mean_over_flagged(F.mse_loss(pred_betas, gt_betas, reduction='none'), has_smpl)
        return dict(
            loss_joints_2d=loss_2d * self.joints_2d_loss_weight,
            loss_joints_3d=loss_3d * self.joints_3d_loss_weight,
            loss_vertex=loss_vertex * self.vertex_loss_weight,
            loss_smpl_pose=loss_pose * self.smpl_pose_loss_weight,
            loss_smpl_beta=loss_beta * self.smpl_beta_loss_weight,
        )

    def _project(self, joints: torch.Tensor, cam: torch.Tensor, center: Optional[torch.Tensor],
                 scale: Optional[torch.Tensor], ori_shape: Optional[torch.Tensor],
                 img_focal_length: Optional[torch.Tensor]) -> torch.Tensor:
        """Predicted joints ``(B, J, 3)`` -> ``(B, J, 2)`` in the targets' normalised crop coordinates."""
        if self.joints_2d_frame == 'crop':
            return project_to_crop(joints, cam, focal_length=self.focal_length, img_res=self.img_res)
        given = dict(center=center, scale=scale, ori_shape=ori_shape, img_focal_length=img_focal_length)
        missing = [k for k, v in given.items() if v is None]
        if missing:
            raise KeyError(f"MeshLoss(joints_2d_frame='full') needs {missing}: batches from PackMeshInputs "
                           'carry center, scale, ori_shape and focal_length')
        box_size = scale.reshape(-1) * 200.0
        translation = crop_camera_to_full(cam, center, box_size, ori_shape, img_focal_length)
        return project_full_to_box(joints, translation, center, box_size, ori_shape, img_focal_length)
