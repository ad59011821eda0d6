"""HMR 2.0's head: one query token cross-attends to the ViT patch tokens and regresses SMPL and camera."""
from typing import List, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mesh_recovery.geometry.rotation import rot6d_to_matrix
from mesh_recovery.registry import MODELS
from mesh_recovery.utils.asset_needs import FileNeed

from .cross_attention_decoder import CrossAttentionDecoder
from .hmr_mesh_head import (BETA_DIM, CAM_DIM, NUM_JOINTS, POSE_DIM, MeshHeadOutput, load_mean_params,
                            mean_params_needs)

# HMR 2.0 reads a 6D vector as two consecutive 3-vectors (a1, a2) (``reshape(2, 3)``); our
# rot6d_to_matrix reads it as a (3, 2) matrix of columns: this reorders the former into the latter.
_HMR2_TO_COLUMNS = (0, 3, 1, 4, 2, 5)
_IDENTITY_6D_HMR2 = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)


@MODELS.register_module()
class HMR2TransformerHead(BaseModule):
    """Regress SMPL pose (6D), betas and the crop camera with a cross-attention transformer decoder.

    HMR 2.0 (Goel et al., ICCV 2023; shubham-goel/4D-Humans
    ``hmr2/models/heads/smpl_head.py``): a single zero-valued query token is
    embedded, decoded by :class:`CrossAttentionDecoder` against the backbone's
    ``(B, C, h, w)`` map read as ``h * w`` tokens, and linear read-outs
    ``decpose`` / ``decshape`` / ``deccam`` add to the mean parameters (buffers
    ``init_body_pose`` / ``init_betas`` / ``init_cam``, HMR 2.0's names) for
    ``n_iter`` iterations (1 in HMR 2.0). Pose vectors use HMR 2.0's 6D layout
    (``a1 = x[0:3]``, ``a2 = x[3:6]``, not SPIN's interleaved one), and the mean
    pose buffer is read in that layout as HMR 2.0 does, so its weights give
    its rotations.

    Args:
        in_channels: Context channels (ViT width: 1280 for ViT-H, 768 for ViT-B).
        smpl_mean_params: Path of ``smpl_mean_params.npz``; None: identity pose, zero betas, camera (1, 0, 0).
        dim, depth, heads, dim_head, mlp_dim, dropout: Decoder sizes (HMR 2.0: 1024, 6, 8, 64, 1024, 0).
        n_iter: Refinement iterations (HMR 2.0: 1).
        init_cfg: mmengine initialisation config.
    """

    @classmethod
    def needed_files(cls, smpl_mean_params: Optional[str] = None, **kwargs) -> List[FileNeed]:
        """The mean-parameters file, for the asset doctor."""
        return mean_params_needs(smpl_mean_params)

    def __init__(self, in_channels: int = 1280, smpl_mean_params: Optional[str] = None, dim: int = 1024,
                 depth: int = 6, heads: int = 8, dim_head: int = 64, mlp_dim: int = 1024, dropout: float = 0.0,
                 n_iter: int = 1, init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if n_iter < 1:
            raise ValueError(f'HMR2TransformerHead n_iter must be >= 1, got {n_iter}')
        self.in_channels = in_channels
        self.n_iter = n_iter
        self.transformer = CrossAttentionDecoder(num_tokens=1, token_dim=1, dim=dim, depth=depth, heads=heads,
                                                 dim_head=dim_head, mlp_dim=mlp_dim, context_dim=in_channels,
                                                 dropout=dropout)
        self.decpose = nn.Linear(dim, POSE_DIM)
        self.decshape = nn.Linear(dim, BETA_DIM)
        self.deccam = nn.Linear(dim, CAM_DIM)
        if smpl_mean_params is None:
            mean = dict(pose=torch.tensor(_IDENTITY_6D_HMR2).repeat(NUM_JOINTS)[None],
                        shape=torch.zeros(1, BETA_DIM), cam=torch.tensor([[1.0, 0.0, 0.0]]))
        else:
            mean = load_mean_params(smpl_mean_params)
        self.register_buffer('init_body_pose', mean['pose'])
        self.register_buffer('init_betas', mean['shape'])
        self.register_buffer('init_cam', mean['cam'])

    def forward(self, feats: Union[torch.Tensor, Sequence[torch.Tensor]]) -> MeshHeadOutput:
        """Regress the parameters.

        Args:
            feats: ``(B, C, h, w)`` feature map (or a sequence whose last item is one).

        Returns:
            ``MeshHeadOutput`` with rotation matrices ``(B, 24, 3, 3)``, betas ``(B, 10)``, camera ``(B, 3)``.
        """
        x = feats[-1] if isinstance(feats, (list, tuple)) else feats
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f'HMR2TransformerHead expects (B, {self.in_channels}, h, w) patch features, got '
                             f'{tuple(x.shape)}')
        batch = x.shape[0]
        context = x.flatten(2).transpose(1, 2)  # (B, h * w, C), row-major over the patch grid
        token = x.new_zeros(batch, 1, 1)
        pose = self.init_body_pose.expand(batch, -1)
        shape = self.init_betas.expand(batch, -1)
        cam = self.init_cam.expand(batch, -1)
        for _ in range(self.n_iter):
            out = self.transformer(token, context)[:, 0]
            pose = pose + self.decpose(out)
            shape = shape + self.decshape(out)
            cam = cam + self.deccam(out)
        rotmat = rot6d_to_matrix(pose.reshape(batch, NUM_JOINTS, 6)[..., list(_HMR2_TO_COLUMNS)])
        return MeshHeadOutput(pred_rotmat=rotmat, pred_betas=shape, pred_camera=cam)
