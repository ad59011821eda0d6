"""The traceable forward pass of a mesh estimator, from the raw crop to the mesh (the ONNX graph)."""
from typing import List

import torch
from torch import Tensor, nn

from mesh_recovery.geometry.camera import weak_perspective_to_translation

OUTPUT_NAMES = ('pred_rotmat', 'pred_betas', 'pred_camera', 'pred_camera_translation', 'pred_keypoints_3d',
                'pred_vertices')


class ExportableMesh(nn.Module):
    """The traceable forward pass of a ``ParametricMesh``: raw crop -> mesh, normalisation included.

    Args:
        model: A ``ParametricMesh`` (e.g. from :func:`mesh_recovery.apis.init_model`).

    Shapes:
        input ``crops``: ``(B, 3, img_res, img_res)`` float32, BGR pixel values in
        [0, 255] as the test pipeline packs them (normalised in the graph).
        outputs: ``pred_rotmat`` (B, 24, 3, 3), ``pred_betas`` (B, 10),
        ``pred_camera`` (B, 3) = (s, tx, ty), ``pred_camera_translation`` (B, 3) m,
        ``pred_keypoints_3d`` (B, 24, 3) m (SPIN-24 regressor joints), ``pred_vertices``
        (B, V, 3) m, both in the body frame (add the translation for the camera frame).
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.backbone, self.mesh_head, self.smpl = model.backbone, model.mesh_head, model.smpl
        self.img_res, self.focal_length = int(model.img_res), float(model.focal_length)
        pre = getattr(model, 'data_preprocessor', None)
        mean = getattr(pre, 'mean', None) if getattr(pre, '_enable_normalize', False) else None
        std = getattr(pre, 'std', None) if mean is not None else None
        self.register_buffer('mean', torch.zeros(1, 3, 1, 1) if mean is None else mean.float().reshape(1, -1, 1, 1))
        self.register_buffer('std', torch.ones(1, 3, 1, 1) if std is None else std.float().reshape(1, -1, 1, 1))
        self.bgr_to_rgb = bool(getattr(pre, '_channel_conversion', False))

    def forward(self, crops: Tensor) -> List[Tensor]:
        """Regress the mesh of each crop (see the class docstring for the shapes)."""
        if self.bgr_to_rgb:
            crops = crops.flip(1)
        inputs = (crops - self.mean) / self.std
        head = self.mesh_head(self.backbone(inputs))
        body = self.smpl(betas=head.pred_betas, pose=head.pred_rotmat)
        translation = weak_perspective_to_translation(head.pred_camera, self.focal_length, self.img_res)
        return [head.pred_rotmat, head.pred_betas, head.pred_camera, translation, body.joints, body.vertices]
