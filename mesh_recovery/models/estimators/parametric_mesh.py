"""HMR: the estimator that regresses a parametric body mesh from an image crop.

It only orchestrates: the backbone and head regress SMPL parameters and a camera,
the SMPL layer turns them into vertices and joints, ``MeshLoss`` / ``GANLoss``
hold the loss math, and ``train_step`` runs mmengine's GAN pattern (one optimizer
wrapper for the generator, backbone + head, and one for the discriminator).
"""
from typing import Dict, List, Optional, Union

import numpy as np
import torch
import torch.nn as nn
from mmengine.model import BaseModel, is_model_wrapper
from mmengine.optim import OptimWrapper, OptimWrapperDict

from mesh_recovery.body_models.model_files import SPIN24_REGRESSOR_HINT
from mesh_recovery.geometry.full_image_camera import cliff_bbox_info, crop_camera_to_full
from mesh_recovery.geometry.rotation import axis_angle_to_matrix
from mesh_recovery.registry import MODELS
from mesh_recovery.utils.asset_needs import FileNeed, declared_files

from ..heads.hmr_mesh_head import MeshHeadOutput

# Per-sample batch entries copied into each prediction (the box and the GT the metric reads).
_PASSTHROUGH = ('center', 'scale', 'sample_idx', 'gt_keypoints_3d')


def _bare(module: nn.Module) -> nn.Module:
    return module.module if is_model_wrapper(module) else module


def _detached_sum(losses: Dict[str, torch.Tensor], total_key: str) -> Dict[str, torch.Tensor]:
    log_vars = {total_key: sum(losses.values()).detach()}
    log_vars.update((k, v.detach()) for k, v in losses.items())
    return log_vars


@MODELS.register_module()
class ParametricMesh(BaseModel):
    """Human mesh recovery (HMR) with an optional adversarial pose/shape prior.

    With a ``discriminator``, training follows mmpose 0.x: every iteration takes
    one discriminator step on mocap parameters (``mosh_theta``) against the
    detached predictions, and every ``disc_steps_per_gen_step``-th iteration one
    generator step on the mesh losses plus the adversarial loss, with the
    discriminator frozen. Without one, the model trains with a single optimizer
    through mmengine's default ``train_step``.

    Args:
        backbone: Backbone config, e.g. ``dict(type='ResNet', depth=50)``.
        mesh_head: Head config, e.g. ``dict(type='HMRMeshHead', in_channels=2048, smpl_mean_params=...)``.
        smpl: Body model config, e.g. ``dict(type='SMPL', smpl_path=..., joints_regressor=...)``.
            Its buffers are not saved in checkpoints (they are reloaded from disk).
        loss_mesh: ``MeshLoss`` config; ``img_res`` / ``focal_length`` default to the model's.
        discriminator: ``SMPLDiscriminator`` config; ``None`` trains without adversarial prior.
        loss_gan: ``GANLoss`` config; required with a discriminator.
        disc_steps_per_gen_step: Discriminator steps per generator step (mmpose's
            ``train_cfg.disc_step``).
        img_res: Side of the input crop in pixels.
        focal_length: Focal length of the crop camera in pixels.
        return_vertices: Add ``vertices`` and ``faces`` to predictions.
        disc: mmpose 0.x spelling: keyword arguments of ``SMPLDiscriminator``
            (``disc=dict()`` for the defaults); mutually exclusive with ``discriminator``.
        data_preprocessor: mmengine data preprocessor config.
        init_cfg: mmengine initialisation config.
    """

    @classmethod
    def needed_files(cls, backbone: Optional[dict] = None, mesh_head: Optional[dict] = None,
                     smpl: Optional[dict] = None, **kwargs) -> List[FileNeed]:
        """What the body model, the head and the backbone declare, body model first (for the asset doctor)."""
        parts = [part for part in (smpl, mesh_head, backbone) if part]
        return [need for part in parts for need in declared_files(MODELS, part)]

    def __init__(self, backbone: dict, mesh_head: dict, smpl: dict, loss_mesh: Optional[dict] = None,
                 discriminator: Optional[dict] = None, loss_gan: Optional[dict] = None,
                 disc_steps_per_gen_step: int = 1, img_res: int = 224, focal_length: float = 5000.0,
                 return_vertices: bool = False, disc: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if disc is not None:
            if discriminator is not None:
                raise ValueError('ParametricMesh: give either discriminator= or its mmpose alias disc=, not both')
            discriminator = dict(type='SMPLDiscriminator', **disc)
        if (discriminator is None) != (loss_gan is None):
            raise ValueError('ParametricMesh: discriminator and loss_gan go together; give both for adversarial '
                             f'training or neither (got discriminator={discriminator}, loss_gan={loss_gan})')
        if disc_steps_per_gen_step < 1:
            raise ValueError(f'disc_steps_per_gen_step must be >= 1, got {disc_steps_per_gen_step}')
        self.img_res = img_res
        self.focal_length = focal_length
        self.return_vertices = return_vertices
        self.disc_steps_per_gen_step = disc_steps_per_gen_step
        self._iteration_in_cycle = 0

        self.backbone = MODELS.build(backbone)
        self.mesh_head = MODELS.build(mesh_head)
        self.smpl = self._build_body_model(smpl)
        self.loss_mesh = self._build_mesh_loss(loss_mesh)
        self.discriminator = MODELS.build(discriminator) if discriminator is not None else None
        self.loss_gan = MODELS.build(loss_gan) if loss_gan is not None else None

    @staticmethod
    def _build_body_model(cfg: dict) -> nn.Module:
        body = MODELS.build(cfg)
        # Body model files are reloaded from disk; checkpoints must not carry (or require) them.
        saved = list(body.state_dict())
        if saved or any(True for _ in body.parameters()):
            raise TypeError(f'the body model {type(body).__name__} must be a fixed layer with non-persistent '
                            f'buffers, but it has state {saved[:5]}')
        # The regressor buffer's name differs across body-model versions (joints_regressor_t / joints_regressor).
        if all(getattr(body, name, None) is None for name in ('joints_regressor_t', 'joints_regressor')):
            raise ValueError(f'smpl={cfg} has no joints_regressor: the losses and keypoints_3d need the (24, V) '
                             f'SPIN-24 regressor ({SPIN24_REGRESSOR_HINT})')
        return body

    def _build_mesh_loss(self, cfg: Optional[dict]) -> nn.Module:
        cfg = dict(type='MeshLoss') if cfg is None else dict(cfg)
        for key, value in (('img_res', self.img_res), ('focal_length', self.focal_length)):
            if cfg.setdefault(key, value) != value:
                raise ValueError(f'loss_mesh.{key}={cfg[key]} differs from the model\'s {key}={value}; set it once')
        return MODELS.build(cfg)

    def optim_groups(self) -> Dict[str, List[str]]:
        """Submodules owned by each optimizer (read by ``MultiOptimWrapperConstructor``)."""
        groups = {'generator': ['backbone', 'mesh_head']}
        if self.discriminator is not None:
            groups['discriminator'] = ['discriminator']
        return groups

    @property
    def uses_box_info(self) -> bool:
        """Whether the head reads the box in the source image (CLIFF) besides the crop."""
        return bool(getattr(_bare(self.mesh_head), 'needs_bbox_info', False))

    def extract(self, inputs: torch.Tensor, data_samples: Optional[dict] = None) -> MeshHeadOutput:
        """Regress rotations ``(B, 24, 3, 3)``, betas ``(B, 10)``, camera ``(B, 3)`` from images ``(B, 3, H, W)``.

        A head with ``needs_bbox_info`` (CLIFF) also gets the box information
        computed from ``data_samples`` (``center``, ``scale``, ``ori_shape``,
        ``focal_length``).
        """
        feats = self.backbone(inputs)
        if not self.uses_box_info:
            return self.mesh_head(feats)
        return self.mesh_head(feats, bbox_info=cliff_bbox_info(*self._box(data_samples)))

    @staticmethod
    def _box(data_samples: Optional[dict]):
        """``(center (B, 2), box side (B,) px, ori_shape (B, 2), focal_length (B,))`` of the batch."""
        keys = ('center', 'scale', 'ori_shape', 'focal_length')
        missing = [k for k in keys if not isinstance(data_samples, dict) or k not in data_samples]
        if missing:
            raise KeyError(f'this head (CLIFF) reads the box in the source image: the batch lacks {missing} '
                           '(PackMeshInputs adds them; see docs/data_contract.md)')
        center, scale, ori_shape, focal = (torch.as_tensor(data_samples[k]).float() for k in keys)
        return center, scale.reshape(-1) * 200.0, ori_shape, focal.reshape(-1)

    def forward(self, inputs: torch.Tensor, data_samples: Optional[dict] = None, mode: str = 'tensor'):
        """Dispatch on ``mode``.

        Args:
            inputs: ``(B, 3, H, W)`` normalised images.
            data_samples: Batch annotations (dict of ``(B, ...)`` tensors, see the data contract).
            mode: ``'loss'`` (generator losses), ``'predict'`` (list of per-sample dicts)
                or ``'tensor'`` (``MeshHeadOutput``).
        """
        if mode == 'tensor':
            return self.extract(inputs, data_samples)
        if mode == 'loss':
            samples = self._require_samples(data_samples, 'loss')
            return self.generator_loss(self.extract(inputs, samples), samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise ValueError(f'ParametricMesh.forward: mode must be "loss", "predict" or "tensor", got {mode!r}')

    @staticmethod
    def _require_samples(data_samples: Optional[dict], mode: str) -> dict:
        if not isinstance(data_samples, dict):
            raise TypeError(f'mode={mode!r} needs data_samples as a dict of batched tensors, got {type(data_samples)}')
        return data_samples

    def generator_loss(self, pred: MeshHeadOutput, data_samples: dict) -> Dict[str, torch.Tensor]:
        """Mesh losses and, with a discriminator, the adversarial loss (discriminator frozen).

        Args:
            pred: Head output with gradients.
            data_samples: Batch with ``gt_keypoints_2d``, ``gt_keypoints_3d``, ``gt_pose``,
                ``gt_betas``, ``has_smpl``, ``gender``.

        Returns:
            Dict of scalar losses (``loss_*``); gradients flow to backbone and head only.
        """
        output = self.smpl(betas=pred.pred_betas, pose=pred.pred_rotmat)
        with torch.no_grad():
            gt_vertices = self.smpl(betas=data_samples['gt_betas'], pose=data_samples['gt_pose'],
                                    gender=data_samples.get('gender')).vertices
        losses = self.loss_mesh(
            pred_rotmat=pred.pred_rotmat, pred_betas=pred.pred_betas, pred_camera=pred.pred_camera,
            pred_vertices=output.vertices, pred_keypoints_3d=output.joints, gt_pose=data_samples['gt_pose'],
            gt_betas=data_samples['gt_betas'], gt_vertices=gt_vertices,
            gt_keypoints_2d=data_samples['gt_keypoints_2d'], gt_keypoints_3d=data_samples['gt_keypoints_3d'],
            has_smpl=data_samples['has_smpl'], **self._full_image_loss_inputs(data_samples))
        if self.discriminator is not None:
            # The unwrapped discriminator with frozen weights: its parameters stay
            # constants of this graph, and no DDP gradient sync is expected for them.
            disc = _bare(self.discriminator)
            disc.requires_grad_(False)
            try:
                scores = disc(pred.pred_rotmat, pred.pred_betas)
            finally:
                disc.requires_grad_(True)
            losses['loss_adv'] = self.loss_gan(scores, target_is_real=True, is_disc=False)
        return losses

    def _full_image_loss_inputs(self, data_samples: dict) -> Dict[str, torch.Tensor]:
        # CLIFF's full-image 2D loss reads the box and the source camera.
        if getattr(self.loss_mesh, 'joints_2d_frame', 'crop') != 'full':
            return {}
        center, box_size, ori_shape, focal = self._box(data_samples)
        return dict(center=center, scale=box_size / 200.0, ori_shape=ori_shape, img_focal_length=focal)

    def discriminator_loss(self, pred: MeshHeadOutput, data_samples: dict) -> Dict[str, torch.Tensor]:
        """Discriminator losses on mocap (real) vs detached predicted (fake) parameters.

        Args:
            pred: Head output (detached here, so no gradient reaches backbone or head).
            data_samples: Batch with ``mosh_theta`` ``(B, 85)`` = 3 unused + 72 pose + 10 betas.

        Returns:
            ``loss_disc_real`` and ``loss_disc_fake``.
        """
        if 'mosh_theta' not in data_samples:
            raise KeyError('adversarial training needs "mosh_theta" in every batch; wrap the training set in '
                           'MeshAdversarialDataset with a MoSh file (or remove the discriminator)')
        real = data_samples['mosh_theta']
        batch = real.shape[0]
        real_rotmat = axis_angle_to_matrix(real[:, 3:75].reshape(batch, 24, 3))
        # One pass over fake and real together: the discriminator has no batch statistics.
        scores = self.discriminator(torch.cat([pred.pred_rotmat.detach(), real_rotmat]),
                                    torch.cat([pred.pred_betas.detach(), real[:, 75:85]]))
        fake_scores, real_scores = scores[:pred.pred_rotmat.shape[0]], scores[pred.pred_rotmat.shape[0]:]
        return dict(loss_disc_real=self.loss_gan(real_scores, target_is_real=True, is_disc=True),
                    loss_disc_fake=self.loss_gan(fake_scores, target_is_real=False, is_disc=True))

    def train_discriminator(self, pred: MeshHeadOutput, data_samples: dict,
                            optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        """One discriminator update; returns detached log values (``loss_disc`` and its terms)."""
        with optim_wrapper.optim_context(self.discriminator):
            losses = self.discriminator_loss(pred, data_samples)
        optim_wrapper.update_params(sum(losses.values()))
        return _detached_sum(losses, 'loss_disc')

    def train_generator(self, pred: MeshHeadOutput, data_samples: dict,
                        optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        """One generator (backbone + head) update; returns detached log values (``loss`` and its terms)."""
        with optim_wrapper.optim_context(self):
            losses = self.generator_loss(pred, data_samples)
        optim_wrapper.update_params(sum(losses.values()))
        return _detached_sum(losses, 'loss')

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: Union[OptimWrapper, OptimWrapperDict]) -> Dict[str, torch.Tensor]:
        """One training iteration (see the class docstring for the schedule).

        Args:
            data: A collated batch ``dict(inputs=..., data_samples=...)``.
            optim_wrapper: ``OptimWrapperDict`` with ``generator`` and ``discriminator``
                when the model has a discriminator, else a single ``OptimWrapper``.

        Returns:
            Log values: generator ``loss`` and terms, discriminator ``loss_disc`` and terms.
        """
        if self.discriminator is None:
            if isinstance(optim_wrapper, OptimWrapperDict):
                raise TypeError('this model has no discriminator: configure a single optim_wrapper='
                                f'dict(optimizer=...), not parts {list(optim_wrapper.keys())}')
            return super().train_step(data, optim_wrapper)
        if not isinstance(optim_wrapper, OptimWrapperDict) or set(optim_wrapper.keys()) != {'generator',
                                                                                              'discriminator'}:
            raise TypeError('a model with a discriminator needs optim_wrapper=dict(constructor='
                            '"MultiOptimWrapperConstructor", generator=dict(...), discriminator=dict(...))')
        data = self.data_preprocessor(data, True)
        samples = self._require_samples(data['data_samples'], 'loss')
        self._iteration_in_cycle = (self._iteration_in_cycle + 1) % self.disc_steps_per_gen_step
        generator_steps = self._iteration_in_cycle == 0
        gen_wrapper = optim_wrapper['generator']
        with gen_wrapper.optim_context(self), torch.set_grad_enabled(generator_steps):
            pred = self.extract(data['inputs'], samples)
        log_vars = self.train_discriminator(pred, samples, optim_wrapper['discriminator'])
        if generator_steps:
            log_vars.update(self.train_generator(pred, samples, gen_wrapper))
        return log_vars

    @torch.no_grad()
    def predict(self, inputs: torch.Tensor, data_samples: Optional[dict] = None) -> List[dict]:
        """Predict per-sample SMPL parameters, camera and the 24 regressor joints.

        Args:
            inputs: ``(B, 3, H, W)`` normalised images.
            data_samples: Optional batch dict; ``center``, ``scale``, ``sample_idx``
                and ``gt_keypoints_3d`` are copied into the predictions when present.

        Returns:
            One dict per sample with numpy arrays: ``keypoints_3d`` (24, 3) metres,
            ``smpl_pose`` (24, 3, 3), ``smpl_beta`` (10,), ``camera`` (3,) = (s, tx, ty),
            optionally ``vertices`` (V, 3) and ``faces`` (F, 3), and the copied entries;
            with a CLIFF head also ``camera_translation_full`` (3,) metres, the body's
            translation in the source image's camera.
        """
        pred = self.extract(inputs, data_samples)
        output = self.smpl(betas=pred.pred_betas, pose=pred.pred_rotmat)
        fields = dict(keypoints_3d=output.joints, smpl_pose=pred.pred_rotmat, smpl_beta=pred.pred_betas,
                      camera=pred.pred_camera)
        if self.uses_box_info:
            center, box_size, ori_shape, focal = self._box(data_samples)
            fields['camera_translation_full'] = crop_camera_to_full(pred.pred_camera, center.to(inputs.device),
                                                                    box_size.to(inputs.device),
                                                                    ori_shape.to(inputs.device),
                                                                    focal.to(inputs.device))
        if self.return_vertices:
            fields['vertices'] = output.vertices
        for key in _PASSTHROUGH:
            if data_samples is not None and key in data_samples:
                fields[key] = torch.as_tensor(data_samples[key])
        arrays = {k: v.detach().float().cpu().numpy() if v.is_floating_point() else v.cpu().numpy()
                  for k, v in fields.items()}
        faces = np.asarray(_bare(self.smpl).faces.cpu()) if self.return_vertices else None
        results = []
        for i in range(inputs.shape[0]):
            sample = {k: v[i] for k, v in arrays.items()}
            if faces is not None:
                sample['faces'] = faces
            results.append(sample)
        return results
