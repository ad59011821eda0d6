"""SMPL body model layer: the reference linear blend skinning, and a CPU fast path behind one switch."""
import os.path as osp
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor, nn

from mesh_recovery.geometry.rotation import axis_angle_to_matrix
from mesh_recovery.registry import MODELS
from mesh_recovery.utils.asset_needs import FileNeed
from .fast_cpu_body import FastCPUBody, uses_fast_cpu_path
from .io import (GENDERS, BodyModelData, find_optional_gender_path, load_body_model_data,
                 load_joints_regressor, resolve_body_model_path)
from .model_files import smpl_file_name
from .lbs import lbs

# mmpose's per-sample gender codes.
GENDER_CODES = {'neutral': -1, 'male': 0, 'female': 1}


class SMPLOutput(NamedTuple):
    """Output of :class:`SMPL`.

    Attributes:
        vertices: (B, V, 3) posed vertices, metres.
        joints_smpl: (B, J, 3) kinematic joints (24 for SMPL), metres.
        joints: (B, K, 3) joints from the configured regressor, or ``joints_smpl`` if none.
    """
    vertices: Tensor
    joints_smpl: Tensor
    joints: Tensor


class _GenderModel(nn.Module):
    """One gender's model arrays, in file order, as :func:`lbs` takes them.

    Buffers are not persistent: the model files, not checkpoints, are their source.
    """

    def __init__(self, data: BodyModelData):
        super().__init__()
        # A flag fixed at init, so the pose-blend product is skipped only for models
        # whose posedirs are exactly zero (the free body model).
        self.has_posedirs = bool(np.any(data.posedirs))
        posedirs = None
        if self.has_posedirs:  # (V, 3, P) -> (P, 3V), vertex-major columns
            posedirs = data.posedirs.reshape(-1, data.posedirs.shape[2]).T
        buffers = {'v_template': data.v_template, 'shapedirs': data.shapedirs, 'posedirs': posedirs,
                   'j_regressor': data.J_regressor, 'lbs_weights': data.weights}
        for name, value in buffers.items():
            tensor = None if value is None else torch.from_numpy(np.ascontiguousarray(value, dtype=np.float32))
            self.register_buffer(name, tensor, persistent=False)


@MODELS.register_module()
class SMPL(nn.Module):
    """SMPL layer: shape and pose parameters to mesh vertices and joints.

    Args:
        smpl_path: directory with ``SMPL_NEUTRAL.pkl`` (required) and optionally
            ``SMPL_MALE.pkl`` / ``SMPL_FEMALE.pkl`` (``.npz`` with the same keys also
            works), or a single model file used as the neutral model.
        joints_regressor: optional (K, V) ``.npy`` regressor for ``SMPLOutput.joints``
            (mmpose's ``joints_regressor_cmr.npy`` is (24, 6890), SPIN-24 order).
        num_betas: number of shape coefficients.
        genders: genders to load when their files exist ('neutral' is always loaded).
        fast_cpu: the one switch of the CPU fast path: with it, CPU batches of
            ``FAST_CPU_MIN_BATCH`` (4) or more, and every CPU batch of a model
            without pose blend shapes (the free body), with or without autograd, run
            :class:`~mesh_recovery.body_models.fast_cpu_body.FastCPUBody` (same results
            and gradients, 1.2-2x faster); everything else, and everything without
            it, runs the reference :func:`~mesh_recovery.body_models.lbs.lbs`.

    Attributes:
        faces: (F, 3) long buffer of triangle vertex indices.
        num_vertices: V. num_joints: J (24). num_betas: S.
        model_paths: the file loaded for each gender.
        parents: (J,) parent of each joint, -1 for the root.
        joints_regressor: (K, V) buffer, or None without ``joints_regressor``.
        fast_cpu: the switch above; may be changed on a built layer.

    Model arrays are non-persistent buffers: they follow ``.to(device)`` but are not
    written to checkpoints (the model files are their source).
    """

    @classmethod
    def needed_files(cls, smpl_path: str = '', joints_regressor: Optional[str] = None, num_betas: int = 10,
                     **kwargs) -> List[FileNeed]:
        """The neutral model and the regressor (male / female models are optional, so not needed)."""
        needs = [FileNeed('smpl', str(smpl_path), check='body_model_file', num_betas=int(num_betas),
                          why='the body model layer')]
        if joints_regressor:
            needs.append(FileNeed('joints_regressor', str(joints_regressor), check='joints_regressor',
                                  why='the joints of the predicted and ground-truth bodies'))
        return needs

    def __init__(self, smpl_path: str, joints_regressor: Optional[str] = None, num_betas: int = 10,
                 genders: Sequence[str] = GENDERS, fast_cpu: bool = True):
        super().__init__()
        unknown = [g for g in genders if g not in GENDERS]
        if unknown:
            raise ValueError(f'unknown genders {unknown}; expected a subset of {GENDERS}')
        self.smpl_path = str(smpl_path)
        paths = {'neutral': resolve_body_model_path(smpl_path, 'neutral')}
        for gender in genders:
            if gender != 'neutral':
                path = find_optional_gender_path(smpl_path, gender)
                if path is not None:
                    paths[gender] = path
        datas = {g: load_body_model_data(p, num_betas) for g, p in paths.items()}
        neutral = datas['neutral']
        for gender, data in datas.items():
            if data.num_vertices != neutral.num_vertices or not np.array_equal(data.parents, neutral.parents):
                raise ValueError(f'{data.path}: the {gender} model must share the vertex count and '
                                 f'kinematic tree of {neutral.path}')
        self.parents = [int(p) for p in neutral.parents]
        self.models = nn.ModuleDict({g: _GenderModel(d) for g, d in datas.items()})
        self.register_buffer('faces', torch.from_numpy(neutral.faces), persistent=False)
        regressor = None
        if joints_regressor is not None:
            regressor = torch.from_numpy(load_joints_regressor(joints_regressor, neutral.num_vertices))
        self.register_buffer('joints_regressor', regressor, persistent=False)
        self.fast_cpu = fast_cpu
        # Fast-path layouts, built on first use per (gender, dtype); see fast_cpu_body.
        self._fast_bodies: Dict[Tuple[str, torch.dtype], FastCPUBody] = {}
        self.num_betas = num_betas
        self.num_vertices = neutral.num_vertices
        self.num_joints = neutral.num_joints
        self.model_paths = paths

    @property
    def genders(self) -> Tuple[str, ...]:
        """Genders whose model is loaded."""
        return tuple(self.models.keys())

    def _rotmats(self, pose: Tensor) -> Tensor:
        batch, num_joints = pose.shape[0], self.num_joints
        if pose.shape[1:] == (num_joints, 3, 3):
            return pose
        if pose.shape[1:] in ((num_joints * 3, ), (num_joints, 3)):
            return axis_angle_to_matrix(pose.reshape(batch, num_joints, 3))
        raise ValueError(f'pose must be rotation matrices (B, {num_joints}, 3, 3) or axis-angle '
                         f'(B, {num_joints * 3}) / (B, {num_joints}, 3), got {tuple(pose.shape)}')

    def _run(self, gender: str, betas: Tensor, rotmats: Tensor) -> Tuple[Tensor, Tensor, Optional[Tensor]]:
        """LBS for one gender: vertices (B, V, 3), joints (B, J, 3), regressed joints or None."""
        model, dtype = self.models[gender], betas.dtype
        if self.fast_cpu and uses_fast_cpu_path(betas, model.has_posedirs):
            return self._fast_body(gender, dtype)(betas, rotmats)
        posedirs = None if model.posedirs is None else model.posedirs.to(dtype)
        vertices, joints = lbs(betas, rotmats, model.v_template.to(dtype), model.shapedirs.to(dtype), posedirs,
                               model.j_regressor.to(dtype), self.parents, model.lbs_weights.to(dtype))
        regressed = None
        if self.joints_regressor is not None:
            regressed = torch.einsum('kv,bvc->bkc', self.joints_regressor.to(dtype), vertices)
        return vertices, joints, regressed

    def _fast_body(self, gender: str, dtype: torch.dtype) -> FastCPUBody:
        key = (gender, dtype)
        if key not in self._fast_bodies:
            model = self.models[gender]
            self._fast_bodies[key] = FastCPUBody(model.v_template, model.shapedirs, model.posedirs,
                                                 model.j_regressor, model.lbs_weights, self.parents,
                                                 self.joints_regressor, dtype)
        return self._fast_bodies[key]

    def _gender_groups(self, gender: Tensor, batch: int) -> Dict[str, Tensor]:
        """Sample indices per gender code; unknown codes or unloaded models are errors."""
        gender = torch.as_tensor(gender, device=self.faces.device).long().reshape(-1)
        if gender.numel() != batch:
            raise ValueError(f'gender must have one entry per sample ({batch}), got {gender.numel()}')
        groups = {}
        covered = torch.zeros_like(gender, dtype=torch.bool)
        for name, code in GENDER_CODES.items():
            mask = gender == code
            covered |= mask
            idx = mask.nonzero().squeeze(1)
            if idx.numel() == 0:
                continue
            if name not in self.models:
                raise ValueError(f"gender '{name}' (code {code}) requested but its model was not loaded: "
                                 f'expected {self._expected_file(name)}')
            groups[name] = idx
        if not bool(covered.all()):
            bad = gender[~covered].unique().tolist()
            raise ValueError(f'gender codes must be -1 (neutral), 0 (male) or 1 (female), got {bad}')
        return groups

    def _expected_file(self, gender: str) -> str:
        name = smpl_file_name(gender)
        if osp.isdir(self.smpl_path):
            return osp.join(self.smpl_path, name)
        return (f'{name} next to the neutral model; smpl_path={self.smpl_path} is a single file, '
                'pass the directory holding all models instead')

    def forward(self, betas: Tensor, pose: Tensor, transl: Optional[Tensor] = None,
                gender: Optional[Tensor] = None) -> SMPLOutput:
        """Pose and shape the body model.

        Args:
            betas: (B, num_betas) shape coefficients.
            pose: (B, J, 3, 3) rotation matrices or (B, 3J) / (B, J, 3) axis-angle,
                global orientation first.
            transl: optional (B, 3) translation, metres, added to all outputs.
            gender: optional (B,) long codes, -1 neutral, 0 male, 1 female
                (default: all neutral).

        Returns:
            SMPLOutput with vertices (B, V, 3), joints_smpl (B, J, 3), joints (B, K, 3).
        """
        batch = betas.shape[0]
        if betas.dim() != 2 or betas.shape[1] != self.num_betas:
            raise ValueError(f'betas must have shape (B, {self.num_betas}), got {tuple(betas.shape)}')
        rotmats = self._rotmats(pose).to(betas.dtype)
        if rotmats.shape[0] != batch:
            raise ValueError(f'betas and pose batch sizes differ: {batch} vs {rotmats.shape[0]}')
        if batch == 0:
            # Skinning cannot reshape an empty batch; one rest-pose sample gives the shapes of empty outputs.
            rest = torch.eye(3, dtype=rotmats.dtype, device=rotmats.device).expand(1, rotmats.shape[1], 3, 3)
            return SMPLOutput(*(t[:0] for t in self.forward(betas.new_zeros(1, self.num_betas), rest)))
        groups = {'neutral': None} if gender is None else self._gender_groups(gender, batch)
        if len(groups) == 1:
            vertices, joints_smpl, joints = self._run(next(iter(groups)), betas, rotmats)
        else:
            vertices, joints_smpl, joints = self._run_mixed(groups, betas, rotmats)
        if joints is None:
            joints = joints_smpl
        if transl is not None:
            offset = transl.reshape(batch, 1, 3).to(vertices.dtype)
            vertices, joints_smpl, joints = vertices + offset, joints_smpl + offset, joints + offset
        return SMPLOutput(vertices, joints_smpl, joints)

    def _run_mixed(self, groups: Dict[str, Tensor], betas: Tensor,
                   rotmats: Tensor) -> Tuple[Tensor, Tensor, Optional[Tensor]]:
        """Run each gender's model on its samples (one pass per gender, not per sample)."""
        outputs = None
        for name, idx in groups.items():
            parts = self._run(name, betas[idx], rotmats[idx])
            if outputs is None:
                outputs = [None if p is None else p.new_zeros((betas.shape[0], ) + p.shape[1:]) for p in parts]
            outputs = [None if o is None else o.index_copy(0, idx, p) for o, p in zip(outputs, parts)]
        return tuple(outputs)

    def extra_repr(self) -> str:
        return (f'smpl_path={self.smpl_path}, genders={self.genders}, num_betas={self.num_betas}, '
                f'num_vertices={self.num_vertices}')
