"""CLIFF's regressor: HMR's iterative error feedback with the box information at every iteration."""
from typing import Optional, Sequence, Union

import torch
import torch.nn as nn

from mesh_recovery.registry import MODELS

from .hmr_mesh_head import BETA_DIM, CAM_DIM, HIDDEN_DIM, POSE_DIM, HMRMeshHead, MeshHeadOutput

BBOX_DIM = 3


@MODELS.register_module()
class CLIFFHead(HMRMeshHead):
    """Regress SMPL pose (6D), shape and the crop camera from features and the box information.

    As :class:`HMRMeshHead`, but each iteration's input is ``[feature,
    bbox_info, pose, shape, cam]`` (CLIFF, huawei-noah/noah-research
    ``CLIFF/models/cliff_res50/cliff.py``): ``bbox_info`` (B, 3) is the box
    centre's offset from the image centre and the box size over the focal
    length, normalised as :func:`mesh_recovery.geometry.full_image_camera.cliff_bbox_info`.
    The parameter names (``fc1``, ``fc2``, ``decpose``, ``decshape``,
    ``deccam``, buffers ``init_pose`` / ``init_shape`` / ``init_cam``) and
    their layouts are CLIFF's, so its released head weights load unchanged.
    The camera stays the crop's ``(s, tx, ty)``; the estimator turns it into the
    full-image camera.

    Args:
        in_channels: Feature channels (2048 for ResNet-50 and HRNet-W48).
        smpl_mean_params: As in :class:`HMRMeshHead`.
        n_iter: Refinement iterations (3).
        dropout: Dropout after fc1 and fc2 (0.5 in CLIFF).
        init_cfg: mmengine initialisation config.
    """

    #: The estimator passes ``bbox_info`` to heads that set this.
    needs_bbox_info = True

    def __init__(self, in_channels: int = 2048, smpl_mean_params: Optional[str] = None, n_iter: int = 3,
                 dropout: float = 0.5, init_cfg: Optional[dict] = None) -> None:
        super().__init__(in_channels=in_channels, smpl_mean_params=smpl_mean_params, n_iter=n_iter,
                         dropout=dropout, init_cfg=init_cfg)
        self.fc1 = nn.Linear(in_channels + BBOX_DIM + POSE_DIM + BETA_DIM + CAM_DIM, HIDDEN_DIM)

    def forward(self, feats: Union[torch.Tensor, Sequence[torch.Tensor]],
                bbox_info: Optional[torch.Tensor] = None) -> MeshHeadOutput:
        """Regress the parameters.

        Args:
            feats: ``(B, C, H, W)`` or ``(B, C)`` features, or a sequence of which the last is used.
            bbox_info: ``(B, 3)`` normalised box information.

        Returns:
            ``MeshHeadOutput`` with rotation matrices, betas and the crop camera.
        """
        x = self.pooled(feats)
        batch = x.shape[0]
        if bbox_info is None or tuple(bbox_info.shape) != (batch, BBOX_DIM):
            got = None if bbox_info is None else tuple(bbox_info.shape)
            raise ValueError(f'CLIFFHead needs bbox_info of shape ({batch}, 3) (the box centre and size over the '
                             f'focal length; batches carry center, scale, ori_shape, focal_length), got {got}')
        return self.refine(torch.cat([x, bbox_info.to(x.dtype)], dim=1))
