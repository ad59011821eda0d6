"""Tiny gendered SMPL-layout models, a 17-row Human3.6M-style regressor and SPIN-format test files."""
from pathlib import Path
from typing import Dict, Sequence

import numpy as np

from mesh_recovery.conventions import smpl_parents

NUM_VERTICES = 72
# Each gender's template is shifted and scaled differently, so the same parameters pose different meshes.
_GENDER_TEMPLATES = {'NEUTRAL': (0.0, 1.0), 'MALE': (0.02, 1.08), 'FEMALE': (-0.02, 0.93)}


def write_gendered_models(folder: Path, genders: Sequence[str] = ('NEUTRAL', 'MALE', 'FEMALE'),
                          seed: int = 0) -> Dict[str, str]:
    """Write ``SMPL_<GENDER>.npz`` (official keys) and ``J_regressor_h36m.npy`` (17, V) into ``folder``."""
    rng = np.random.default_rng(seed)
    parents = np.asarray(smpl_parents(), dtype=np.int64)
    joints = np.zeros((24, 3))
    for j in range(1, 24):
        joints[j] = joints[parents[j]] + rng.normal(0.0, 0.12, 3)
    owner = np.arange(NUM_VERTICES) % 24
    base = joints[owner] + rng.normal(0.0, 0.03, (NUM_VERTICES, 3))
    weights = np.full((NUM_VERTICES, 24), 0.02)
    weights[np.arange(NUM_VERTICES), owner] = 1.0
    weights /= weights.sum(1, keepdims=True)
    j_regressor = (owner[None] == np.arange(24)[:, None]).astype(np.float64)
    j_regressor /= j_regressor.sum(1, keepdims=True)
    shapedirs = rng.normal(0.0, 0.01, (NUM_VERTICES, 3, 10))
    folder.mkdir(parents=True, exist_ok=True)
    for gender in genders:
        offset, scale = _GENDER_TEMPLATES[gender]
        np.savez(folder / f'SMPL_{gender}.npz', v_template=base * scale + offset, shapedirs=shapedirs,
                 posedirs=np.zeros((NUM_VERTICES, 3, 207)), J_regressor=j_regressor, weights=weights,
                 kintree_table=np.stack([parents, np.arange(24)]),
                 f=rng.integers(0, NUM_VERTICES, (2 * NUM_VERTICES, 3)))
    h36m = rng.uniform(0.0, 1.0, (17, NUM_VERTICES)) * (rng.uniform(size=(17, NUM_VERTICES)) < 0.2)
    h36m[np.arange(17), np.arange(17) * 4] += 1.0
    h36m /= h36m.sum(1, keepdims=True)
    np.save(folder / 'J_regressor_h36m.npy', h36m)
    return {'smpl_path': str(folder), 'regressor': str(folder / 'J_regressor_h36m.npy')}


def write_3dpw_npz(path: Path, num: int, seed: int = 0, drop: Sequence[str] = (),
                   genders: Sequence[str] = ('m', 'f')) -> Dict[str, np.ndarray]:
    """A file with the keys SPIN's pw3d.py writes (imgname, center, scale, pose, shape, gender)."""
    rng = np.random.default_rng(seed)
    arrays = {
        'imgname': np.array([f'imageFiles/downtown_walking_00/image_{i:05d}.jpg' for i in range(num)]),
        'center': rng.uniform(100, 300, (num, 2)),
        'scale': rng.uniform(0.8, 1.6, num),
        'pose': rng.normal(0, 0.3, (num, 72)),
        'shape': rng.normal(0, 1, (num, 10)),
        'gender': np.array([genders[i % len(genders)] for i in range(num)]),
    }
    arrays = {k: v for k, v in arrays.items() if k not in drop}
    np.savez(path, **arrays)
    return arrays
