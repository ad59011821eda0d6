"""HMR's iterative error feedback regressor of SMPL parameters and camera."""
from typing import List, NamedTuple, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mesh_recovery.body_models.model_files import FREE_BODY_MEAN_PARAMS, SMPL_DIR, SMPL_MEAN_PARAMS, free_body_path
from mesh_recovery.geometry.rotation import rot6d_to_matrix
from mesh_recovery.registry import MODELS
from mesh_recovery.utils.asset_needs import FileNeed
from mesh_recovery.utils.errors import BadFileError
from mesh_recovery.utils.files import load_npz, require_finite

NUM_JOINTS = 24
POSE_DIM = NUM_JOINTS * 6
BETA_DIM = 10
CAM_DIM = 3
HIDDEN_DIM = 1024
# 6D of the identity rotation in the ``view(3, 2)`` column convention.
_IDENTITY_6D = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


class MeshHeadOutput(NamedTuple):
    """Regressed SMPL parameters and weak-perspective camera.

    Attributes:
        pred_rotmat: ``(B, 24, 3, 3)`` joint rotations, global orientation first.
        pred_betas: ``(B, 10)`` shape coefficients.
        pred_camera: ``(B, 3)`` weak-perspective camera ``(s, tx, ty)`` over the crop.
    """
    pred_rotmat: torch.Tensor
    pred_betas: torch.Tensor
    pred_camera: torch.Tensor


def load_mean_params(path: str) -> dict:
    """Read ``smpl_mean_params.npz`` (keys ``pose`` (144,), ``shape`` (10,), ``cam`` (3,)).

    Args:
        path: Path of the npz file.

    Returns:
        Float32 tensors of shape ``(1, 144)``, ``(1, 10)``, ``(1, 3)`` under
        ``pose``, ``shape``, ``cam``.
    """
    hint = (f'place {SMPL_MEAN_PARAMS} there ({SMPL_DIR}/ for SMPL, from mmpose 0.x data preparation; '
            f'{free_body_path(FREE_BODY_MEAN_PARAMS)} for the free body model)')
    expected = {'pose': POSE_DIM, 'shape': BETA_DIM, 'cam': CAM_DIM}
    data = load_npz(path, 'SMPL mean parameters', keys=expected, required=expected, hint=hint)
    out = {}
    for key, size in expected.items():
        if data[key].dtype.kind not in 'biuf':
            raise BadFileError(f'{path}: "{key}" holds {data[key].dtype} values, expected numbers')
        value = np.asarray(data[key], dtype=np.float32).reshape(-1)
        if value.size != size:
            raise BadFileError(f'{path}: "{key}" has {value.size} values, expected {size}')
        require_finite(value, path, key, 'SMPL mean parameters')
        out[key] = torch.from_numpy(value.copy())[None]
    return out


def mean_params_needs(smpl_mean_params: Optional[str]) -> List[FileNeed]:
    """The asset doctor's entry for a head's mean-parameters file (none when the head starts from zeros)."""
    if not smpl_mean_params:
        return []
    return [FileNeed('mean_params', str(smpl_mean_params), check='mean_params',
                     why="the head's initial pose, shape and camera")]


@MODELS.register_module()
class HMRMeshHead(BaseModule):
    """Regress SMPL pose (6D), shape and camera from a feature map by iterative refinement.

    Each of ``n_iter`` iterations feeds ``[feature, pose, shape, cam]`` through
    ``fc1`` (Linear) -> Dropout -> ``fc2`` (Linear) -> Dropout and adds the
    outputs of ``decpose`` / ``decshape`` / ``deccam`` to the current estimate,
    starting from the mean parameters (buffers ``init_pose``, ``init_shape``,
    ``init_cam``, saved with checkpoints as in mmpose).

    Args:
        in_channels: Feature channels (2048 for ResNet-50).
        smpl_mean_params: Path of ``smpl_mean_params.npz``; ``None`` starts from
            identity rotations, zero shape and camera ``(1, 0, 0)``.
        n_iter: Refinement iterations.
        dropout: Dropout probability after fc1 and fc2 (0.5 in HMR).
        init_cfg: mmengine initialisation config.
    """

    @classmethod
    def needed_files(cls, smpl_mean_params: Optional[str] = None, **kwargs) -> List[FileNeed]:
        """The mean-parameters file, for the asset doctor."""
        return mean_params_needs(smpl_mean_params)

    def __init__(self, in_channels: int = 2048, smpl_mean_params: Optional[str] = None, n_iter: int = 3,
                 dropout: float = 0.5, init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if n_iter < 1:
            raise ValueError(f'HMRMeshHead n_iter must be >= 1, got {n_iter}')
        self.in_channels = in_channels
        self.n_iter = n_iter
        self.fc1 = nn.Linear(in_channels + POSE_DIM + BETA_DIM + CAM_DIM, HIDDEN_DIM)
        self.drop1 = nn.Dropout(dropout)
        self.fc2 = nn.Linear(HIDDEN_DIM, HIDDEN_DIM)
        self.drop2 = nn.Dropout(dropout)
        self.decpose = nn.Linear(HIDDEN_DIM, POSE_DIM)
        self.decshape = nn.Linear(HIDDEN_DIM, BETA_DIM)
        self.deccam = nn.Linear(HIDDEN_DIM, CAM_DIM)
        # Small decoder weights: the first iterations stay near the mean parameters.
        for layer in (self.decpose, self.decshape, self.deccam):
            nn.init.xavier_uniform_(layer.weight, gain=0.01)
        if smpl_mean_params is None:
            mean = dict(pose=torch.tensor(_IDENTITY_6D).repeat(NUM_JOINTS)[None],
                        shape=torch.zeros(1, BETA_DIM), cam=torch.tensor([[1.0, 0.0, 0.0]]))
        else:
            mean = load_mean_params(smpl_mean_params)
        self.register_buffer('init_pose', mean['pose'])
        self.register_buffer('init_shape', mean['shape'])
        self.register_buffer('init_cam', mean['cam'])

    def forward(self, feats: Union[torch.Tensor, Sequence[torch.Tensor]]) -> MeshHeadOutput:
        """Regress the parameters.

        Args:
            feats: ``(B, C, H, W)`` or ``(B, C)`` features, or a sequence of
                feature maps of which the last is used.

        Returns:
            ``MeshHeadOutput`` with rotation matrices, betas and camera.
        """
        return self.refine(self.pooled(feats))

    def pooled(self, feats: Union[torch.Tensor, Sequence[torch.Tensor]]) -> torch.Tensor:
        """``(B, C)`` features: the last map of a sequence, averaged over its ``(H, W)``."""
        x = feats[-1] if isinstance(feats, (list, tuple)) else feats
        if x.dim() == 4:
            x = x.mean(dim=(2, 3))
        if x.dim() != 2 or x.shape[1] != self.in_channels:
            raise ValueError(f'{type(self).__name__} expects (B, {self.in_channels}[, H, W]) features, '
                             f'got {tuple(x.shape)}')
        return x

    def refine(self, context: torch.Tensor) -> MeshHeadOutput:
        """Iterative error feedback from the mean parameters.

        Each iteration is ``fc1([context, pose, shape, cam])`` -> Dropout -> ``fc2``
        -> Dropout, whose outputs ``decpose`` / ``decshape`` / ``deccam`` add to the
        estimate. (Taking fc1's context columns once and the three decoders as one
        product were tried: no measurable gain at batch 1 on 2 CPU threads, where
        each of the 15 small products costs about the same fixed ~0.1 ms.)

        Args:
            context: ``(B, K)`` the part of fc1's input that is the same in every
                iteration: the pooled features (and, in CLIFF, the box information).

        Returns:
            ``MeshHeadOutput`` with rotation matrices, betas and camera.
        """
        batch = context.shape[0]
        pose = self.init_pose.expand(batch, -1)
        shape = self.init_shape.expand(batch, -1)
        cam = self.init_cam.expand(batch, -1)
        for _ in range(self.n_iter):
            hidden = torch.cat([context, pose, shape, cam], dim=1)
            hidden = self.drop2(self.fc2(self.drop1(self.fc1(hidden))))
            pose = pose + self.decpose(hidden)
            shape = shape + self.decshape(hidden)
            cam = cam + self.deccam(hidden)
        rotmat = rot6d_to_matrix(pose.reshape(batch, NUM_JOINTS, 6))
        return MeshHeadOutput(pred_rotmat=rotmat, pred_betas=shape, pred_camera=cam)
