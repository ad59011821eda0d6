"""Male and female variants of the free body model, from anny's gender phenotype.

Each variant is a PCA shape space of its own population (like SMPL's male and
female files) over the neutral model's topology: the same faces, skinning
weights, kinematic tree and joint regressor, so every regressor, joint order
and checkpoint of the neutral model applies unchanged.
"""
from pathlib import Path
from typing import Callable, Dict

import numpy as np
import torch

from mesh_recovery.body_models.model_files import FREE_BODY_MODEL_FILES
from mesh_recovery.utils.npz import save_npz_deterministic

from . import anny_population as anny_source
from .shape_space import fit_shape_space
from .tpose import bake_tpose, to_smpl_frame

GENDER_FILES = {gender: FREE_BODY_MODEL_FILES[gender] for gender in ('male', 'female')}
# anny's gender phenotype: 0 is male, 1 female (its shape distribution draws the
# boys' height, weight and muscle tables for gender <= 0.5).
ANNY_GENDER = {'male': 0.0, 'female': 1.0}
# Offset of each variant's sampling seed from the neutral build's, so the three
# populations are independent draws.
SEED_OFFSET = {'male': 1, 'female': 2}


def gendered_phenotypes(model, num_samples: int, seed: int, gender: str) -> torch.Tensor:
    """Adult phenotypes of one gender: anny's draws of that side, with gender set to 0 or 1.

    Height, weight, muscle and proportions keep the values anny drew from the
    tables of the sampled gender, so each population has that gender's statistics.

    Returns:
        (num_samples, P) float64 phenotypes in ``model.phenotype_labels`` order.
    """
    index = list(model.phenotype_labels).index('gender')
    draws = anny_source.sample_adult_phenotypes(model, 4 * num_samples, seed + SEED_OFFSET[gender])
    side = draws[:, index] <= 0.5 if gender == 'male' else draws[:, index] > 0.5
    chosen = draws[side][:num_samples].clone()
    if len(chosen) < num_samples:
        raise RuntimeError(f'only {len(chosen)} of {4 * num_samples} draws are {gender}; '
                           f'anny\'s gender distribution changed?')
    chosen[:, index] = ANNY_GENDER[gender]
    return chosen


def build_gendered_arrays(model, rig, joint_regressor: np.ndarray, num_samples: int, seed: int,
                          gender: str, arrays_of: Callable) -> Dict[str, np.ndarray]:
    """The SMPL-format arrays of one variant.

    Args:
        model: anny's model.
        rig: The neutral build's rig data (faces, bones, weights).
        joint_regressor: (24, V) ``J_regressor`` of the neutral model.
        num_samples: Shapes of this gender for its shape space.
        seed: The neutral build's seed.
        gender: ``'male'`` or ``'female'``.
        arrays_of: ``builder.body_model_arrays(space, regressor, ...)`` with the
            neutral model's skinning weights and faces bound.
    """
    population = anny_source.rest_population(model, gendered_phenotypes(model, num_samples, seed, gender))
    posed = bake_tpose(population.vertices, population.bone_heads, rig.bone_weights, rig.bone_labels,
                       rig.bone_parents)
    del population
    vertices = to_smpl_frame(posed.vertices)
    # Same convention as the neutral model: every shape's pelvis joint at the origin.
    vertices -= np.einsum('v,svi->si', joint_regressor[0], vertices)[:, None]
    space = fit_shape_space(vertices, arrays_of.num_betas)
    return arrays_of(space)


def write_gendered_models(model, rig, joint_regressor: np.ndarray, num_samples: int, seed: int,
                          arrays_of: Callable, out_dir: Path) -> Dict[str, Path]:
    """Build and write ``body_model_male.npz`` and ``body_model_female.npz``; return name -> path."""
    files = {}
    for gender, name in GENDER_FILES.items():
        arrays = build_gendered_arrays(model, rig, joint_regressor, num_samples, seed, gender, arrays_of)
        files[name] = Path(save_npz_deterministic(Path(out_dir) / name, arrays))
    return files
