"""SMPL body model layer: pure-torch linear blend skinning with precomputed joint terms."""
import os.path as osp
from typing import Dict, NamedTuple, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor, nn

from mesh_recovery.geometry.rotation import axis_angle_to_matrix
from mesh_recovery.registry import MODELS
from .blend_shapes import BlendShapes
from .io import (GENDERS, BodyModelData, find_optional_gender_path, load_body_model_data,
                 load_joints_regressor, resolve_body_model_path)
from .lbs import blend_and_skin, forward_kinematics, kinematic_levels, rigid_affines
from .skinning_weights import SkinningWeights, skinning_vertex_order

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
    """Per-gender buffers, laid out for the SMPL forward pass.

    Vertex quantities are vertex-major (index 3 * v + c) with the vertices in
    ``vertex_order``; joint quantities use the depth-sorted joint order of the
    kinematic tree. Buffers are not persistent: the model files, not checkpoints,
    are their source.
    """

    def __init__(self, data: BodyModelData, order: Sequence[int], sorted_parent: Sequence[int],
                 vertex_order: np.ndarray):
        super().__init__()
        num_verts, num_betas = data.num_vertices, data.num_betas
        shapedirs = data.shapedirs[vertex_order].transpose(2, 0, 1).reshape(num_betas, 3 * num_verts)
        posedirs = data.posedirs[vertex_order].transpose(2, 0, 1).reshape(-1, 3 * num_verts)
        # A flag fixed at init, so the pose-blend product is skipped only for models
        # whose posedirs are exactly zero (the free body model).
        self.has_posedirs = bool(np.any(data.posedirs))
        blend_dirs = np.concatenate([shapedirs, posedirs]) if self.has_posedirs else shapedirs
        # Joints are linear in betas: precompute rest joints and their offsets from the parent.
        joints_t = data.J_regressor.astype(np.float64) @ data.v_template  # (J, 3)
        joints_d = np.einsum('jv,vcs->sjc', data.J_regressor.astype(np.float64), data.shapedirs)
        order, sorted_parent = list(order), list(sorted_parent)
        root_mask = np.array([1.0 if p != i else 0.0 for i, p in enumerate(sorted_parent)])[:, None]
        rel_t = joints_t[order] - joints_t[order][sorted_parent] * root_mask
        rel_d = joints_d[:, order] - joints_d[:, order][:, sorted_parent] * root_mask
        joint_template = np.concatenate([joints_t[order], rel_t]).reshape(-1)
        joint_dirs = np.concatenate([joints_d[:, order], rel_d], axis=1).reshape(num_betas, -1)
        buffers = {
            'template': data.v_template[vertex_order].reshape(-1),
            'blend_dirs': blend_dirs,
            'joint_template': joint_template,
            'joint_dirs': joint_dirs,
            'weights_t': data.weights[vertex_order].T[order],
        }
        for name, value in buffers.items():
            self.register_buffer(name, torch.from_numpy(np.ascontiguousarray(value, dtype=np.float32)),
                                 persistent=False)
        self._cache: Dict[Tuple[torch.dtype, torch.device], Tuple[BlendShapes, SkinningWeights]] = {}

    def tensors(self, dtype: torch.dtype) -> Tuple[BlendShapes, Tensor, Tensor, SkinningWeights]:
        """Blend shapes, joint template and directions, and skinning weights in ``dtype``
        (blend shapes and skinning weights are kept per dtype and device)."""
        key = (dtype, self.weights_t.device)
        if key not in self._cache:
            self._cache[key] = (BlendShapes(self.template.to(dtype), self.blend_dirs.to(dtype)),
                                SkinningWeights(self.weights_t.to(dtype)))
        blend, skin = self._cache[key]
        return blend, self.joint_template.to(dtype), self.joint_dirs.to(dtype), skin


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

    Attributes:
        faces: (F, 3) long buffer of triangle vertex indices.
        num_vertices: V. num_joints: J (24). num_betas: S.
        model_paths: the file loaded for each gender.

    Model arrays are non-persistent buffers: they follow ``.to(device)`` but are not
    written to checkpoints (the model files are their source).
    """

    def __init__(self, smpl_path: str, joints_regressor: Optional[str] = None, num_betas: int = 10,
                 genders: Sequence[str] = GENDERS):
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
        levels = kinematic_levels(neutral.parents.tolist())
        self._bounds = levels.bounds
        # Vertices are stored grouped by the joints that move them (cheaper skinning) and
        # put back in file order at the end of the forward pass.
        vertex_order = skinning_vertex_order(neutral.weights)
        self.models = nn.ModuleDict(
            {g: _GenderModel(d, levels.order, levels.sorted_parent, vertex_order) for g, d in datas.items()})
        unorder = torch.from_numpy(np.argsort(vertex_order))
        gather_index = (torch.arange(3).unsqueeze(0) * neutral.num_vertices + unorder.unsqueeze(1)).reshape(-1)
        self.register_buffer('vertex_gather_index', gather_index, persistent=False)
        self.register_buffer('fk_order', torch.tensor(levels.order, dtype=torch.long), persistent=False)
        self.register_buffer('fk_parent_pos', torch.tensor(levels.parent_pos, dtype=torch.long),
                             persistent=False)
        self.register_buffer('fk_unsort', torch.argsort(self.fk_order), persistent=False)
        self.register_buffer('faces', torch.from_numpy(neutral.faces), persistent=False)
        regressor_t = None
        if joints_regressor is not None:
            regressor = load_joints_regressor(joints_regressor, neutral.num_vertices)
            regressor_t = torch.from_numpy(regressor[:, vertex_order].T.copy())
        self.register_buffer('joints_regressor_t', regressor_t, persistent=False)
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

    def _run(self, model: _GenderModel, betas: Tensor,
             rotmats: Tensor) -> Tuple[Tensor, Tensor, Optional[Tensor]]:
        """LBS for one gender: vertices (B, V, 3), depth-sorted joints (B, J, 3), regressed joints."""
        batch, num_joints = betas.shape[0], self.num_joints
        blend, joint_template, joint_dirs, skin = model.tensors(betas.dtype)
        if model.has_posedirs:
            eye = torch.eye(3, dtype=rotmats.dtype, device=rotmats.device)
            pose_feature = (rotmats[:, 1:] - eye).reshape(batch, -1)
            coeffs = torch.cat([betas, pose_feature], dim=1)
        else:
            coeffs = betas
        joints = torch.addmm(joint_template, betas, joint_dirs).view(batch, 2, num_joints, 3)
        rest_joints, rel_joints = joints[:, 0], joints[:, 1]
        world_rot, world_pos = forward_kinematics(
            rotmats.index_select(1, self.fk_order), rel_joints, self._bounds, self.fk_parent_pos)
        affines = rigid_affines(world_rot, world_pos, rest_joints)
        regressor_t = None if self.joints_regressor_t is None else self.joints_regressor_t.to(betas.dtype)
        vertices, joints_reg = blend_and_skin(coeffs, blend, affines, skin, regressor_t,
                                              self.vertex_gather_index)
        return vertices, world_pos, joints_reg

    def _gender_groups(self, gender: Tensor, batch: int) -> Dict[str, Tensor]:
        """Sample indices per gender code; unknown codes or unloaded models are errors."""
        gender = torch.as_tensor(gender, device=self.fk_order.device).long().reshape(-1)
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
        name = f'SMPL_{gender.upper()}.pkl'
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
        groups = {'neutral': None} if gender is None else self._gender_groups(gender, batch)
        if len(groups) == 1:
            vertices, joints_sorted, joints = self._run(self.models[next(iter(groups))], betas, rotmats)
        else:
            vertices, joints_sorted, joints = self._run_mixed(groups, betas, rotmats)
        joints_smpl = joints_sorted.index_select(1, self.fk_unsort)
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
            parts = self._run(self.models[name], betas[idx], rotmats[idx])
            if outputs is None:
                outputs = [None if p is None else p.new_zeros((betas.shape[0], ) + p.shape[1:]) for p in parts]
            outputs = [None if o is None else o.index_copy(0, idx, p) for o, p in zip(outputs, parts)]
        return tuple(outputs)

    def extra_repr(self) -> str:
        return (f'smpl_path={self.smpl_path}, genders={self.genders}, num_betas={self.num_betas}, '
                f'num_vertices={self.num_vertices}')
