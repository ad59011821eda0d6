"""Body-model passes and regressed joints shared by the mesh evaluation protocols."""
import os.path as osp
from typing import Any, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch

from mesh_recovery.body_models.io import load_joints_regressor, resolve_body_model_path
from mesh_recovery.body_models.model_files import FREE_BODY_MODEL_FILES, H36M_REGRESSOR, free_body_path, smpl_file_name
from mesh_recovery.body_models.smpl import GENDER_CODES, SMPL
from mesh_recovery.conventions import H36M_REGRESSOR_17, JOINT_ORDERS, joint_indices
from mesh_recovery.utils.asset_needs import FileNeed

GT_GENDERS = ('gendered', 'neutral')


def model_folder(smpl_path: str) -> str:
    """The folder of the body model files: ``smpl_path`` itself unless it names a model file."""
    smpl_path = str(smpl_path)
    return osp.dirname(smpl_path) if smpl_path.endswith(('.pkl', '.npz')) else smpl_path


def default_h36m_regressor(smpl_path: str) -> str:
    """``J_regressor_h36m.npy`` in the folder of the body model."""
    return osp.join(model_folder(smpl_path), H36M_REGRESSOR)


def regressor_need(smpl_path: str, regressor: Optional[str] = None) -> FileNeed:
    """The joint regressor a protocol reads (``regressor``, else the one beside the body model)."""
    return FileNeed('h36m_regressor', str(regressor or default_h36m_regressor(smpl_path)), check='npy')


def gendered_model_needs(smpl_path: str, protocol: str) -> List[FileNeed]:
    """The male and female models beside ``smpl_path`` that ``protocol`` poses the ground truth with."""
    return [FileNeed('smpl', model_folder(smpl_path), check='body_model', gender=gender,
                     why=f'{protocol} poses the ground truth with the {gender} model') for gender in ('male', 'female')]


def sample_field(data_batch: Any, data_samples: Sequence[Any], key: str, metric: str) -> torch.Tensor:
    """``key`` for a batch: from the loader's batch, else (a metric called on its own) from the predictions.

    Raises:
        KeyError: Neither holds ``key``.
    """
    batch_samples = data_batch.get('data_samples') if isinstance(data_batch, dict) else None
    if isinstance(batch_samples, dict) and key in batch_samples:
        return torch.as_tensor(batch_samples[key])
    if data_samples and all(isinstance(s, dict) and key in s for s in data_samples):
        return torch.stack([torch.as_tensor(np.asarray(s[key])) for s in data_samples])
    have = sorted(batch_samples) if isinstance(batch_samples, dict) else []
    raise KeyError(f'{metric} needs {key!r} for every sample, in the predictions or in '
                   f"data_batch['data_samples'] (which has {have}); the dataset's PackMeshInputs "
                   f'provides it')


class MeshEvalBody:
    """The body models and joint regressor an evaluation protocol poses meshes with.

    Args:
        smpl_path: Directory of ``SMPL_NEUTRAL.pkl`` (and ``SMPL_MALE.pkl`` /
            ``SMPL_FEMALE.pkl`` when ``gt_gender='gendered'``), or the folder's
            neutral model file (its folder is then used for the gendered models).
        regressor: ``(K, V)`` ``.npy`` regressor for the scored joints; None
            for ``J_regressor_h36m.npy`` beside the model.
        regressor_order: Joint names of the regressor's rows, or the name of
            an order in ``JOINT_ORDERS`` (``'spin_24'`` for a SPIN-24 regressor
            such as the free body model's, whose rows of the same names stand
            in for Human3.6M's).
        gt_gender: ``'gendered'`` poses the ground truth with each sample's
            male / female model (3DPW as SPIN scores it); ``'neutral'`` with
            the neutral model.
        protocol: Name used in error messages.
        device: Torch device of the passes; None picks CUDA when available.
    """

    def __init__(self, smpl_path: str, regressor: Optional[str] = None,
                 regressor_order: Union[str, Sequence[str]] = H36M_REGRESSOR_17, gt_gender: str = 'gendered',
                 protocol: str = '3DPW', device: Optional[str] = None) -> None:
        if isinstance(regressor_order, str):
            if regressor_order not in JOINT_ORDERS:
                raise ValueError(f'regressor_order {regressor_order!r} is not a known order; known: '
                                 f'{sorted(JOINT_ORDERS)} (or pass the joint names)')
            regressor_order = JOINT_ORDERS[regressor_order]
        if gt_gender not in GT_GENDERS:
            raise ValueError(f'gt_gender must be one of {GT_GENDERS}, got {gt_gender!r}')
        self.gt_gender = gt_gender
        self.device = torch.device(device or ('cuda' if torch.cuda.is_available() else 'cpu'))
        genders = ('neutral', 'male', 'female') if gt_gender == 'gendered' else ('neutral', )
        self.body = SMPL(self._model_path(smpl_path, gt_gender), genders=genders).to(self.device)
        missing = [g for g in genders if g not in self.body.genders]
        if missing:
            folder = model_folder(smpl_path)
            files = [osp.join(folder, smpl_file_name(g)) for g in missing]
            raise FileNotFoundError(
                f'the {protocol} protocol poses the ground truth with the gendered SMPL models, but '
                f'{" and ".join(files)} {"is" if len(files) == 1 else "are"} missing (smpl_path='
                f'{smpl_path}). Download them from smpl.is.tue.mpg.de (docs/evaluation.md), or set '
                f"gt_gender='neutral' for data whose ground truth was made with the neutral model "
                f"(the free body model's variants are {free_body_path(FREE_BODY_MODEL_FILES['male'])} and "
                f"{FREE_BODY_MODEL_FILES['female']})")
        self.regressor_path = regressor or default_h36m_regressor(smpl_path)
        matrix = load_joints_regressor(self.regressor_path, self.body.num_vertices)
        if matrix.shape[0] != len(regressor_order):
            raise ValueError(f'{self.regressor_path}: {matrix.shape[0]} rows, but regressor_order names '
                             f'{len(regressor_order)} joints ({list(regressor_order)})')
        self.regressor = torch.from_numpy(np.ascontiguousarray(matrix, dtype=np.float32)).to(self.device)
        self.regressor_order = tuple(regressor_order)

    @staticmethod
    def _model_path(smpl_path: str, gt_gender: str) -> str:
        """The folder instead of its neutral file when the ground truth needs the folder's gendered models."""
        folder = model_folder(smpl_path)
        if gt_gender != 'gendered' or folder == str(smpl_path) or not osp.isdir(folder):
            return smpl_path
        try:
            neutral = resolve_body_model_path(folder, 'neutral')
        except FileNotFoundError:
            return smpl_path
        return folder if osp.samefile(neutral, smpl_path) else smpl_path

    def indices(self, names: Sequence[str]) -> list:
        """Rows of the regressor for ``names`` (KeyError naming the order if one is absent)."""
        return joint_indices(names, self.regressor_order)

    @torch.no_grad()
    def pred_vertices(self, data_samples: Sequence[Any]) -> torch.Tensor:
        """``(B, V, 3)`` predicted vertices, metres: ``vertices`` if predicted, else the neutral
        model posed with ``smpl_pose`` (24, 3, 3) and ``smpl_beta`` (10,)."""
        if all(isinstance(s, dict) and 'vertices' in s for s in data_samples):
            return torch.stack([torch.as_tensor(np.asarray(s['vertices'])) for s in data_samples]).to(
                self.device, torch.float32)
        pose = sample_field({}, data_samples, 'smpl_pose', 'the predicted mesh').to(self.device, torch.float32)
        betas = sample_field({}, data_samples, 'smpl_beta', 'the predicted mesh').to(self.device, torch.float32)
        return self.body(betas=betas, pose=pose).vertices

    @torch.no_grad()
    def gt_vertices(self, pose: torch.Tensor, betas: torch.Tensor, gender: torch.Tensor) -> torch.Tensor:
        """``(B, V, 3)`` ground-truth vertices from ``(B, 72)`` axis-angle and ``(B, 10)`` betas."""
        pose = pose.to(self.device, torch.float32)
        betas = betas.to(self.device, torch.float32)
        if self.gt_gender == 'neutral':
            return self.body(betas=betas, pose=pose).vertices
        gender = gender.to(self.device).long().reshape(-1)
        bad = ~((gender == GENDER_CODES['male']) | (gender == GENDER_CODES['female']))
        if bad.any():
            raise ValueError(f'gendered ground truth needs gender 0 (male) or 1 (female) for every sample, '
                             f'got codes {gender[bad].unique().tolist()}')
        return self.body(betas=betas, pose=pose, gender=gender).vertices

    def regress(self, vertices: torch.Tensor) -> torch.Tensor:
        """``(B, K, 3)`` regressed joints of ``(B, V, 3)`` vertices."""
        return torch.einsum('kv,bvc->bkc', self.regressor, vertices)

    def centred(self, vertices: torch.Tensor, joint_names: Sequence[str],
                root_names: Sequence[str]) -> Tuple[torch.Tensor, torch.Tensor]:
        """Scored joints ``(B, J, 3)`` and vertices ``(B, V, 3)``, both minus the root of the joints."""
        joints = self.regress(vertices)
        root = joints[:, self.indices(root_names)].mean(dim=1, keepdim=True)
        return joints[:, self.indices(joint_names)] - root, vertices - root
