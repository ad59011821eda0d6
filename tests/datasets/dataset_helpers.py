"""Helpers of the dataset tests: real fixture location, synthetic annotation files and a
tiny body model that is exactly left/right symmetric."""
from pathlib import Path
from typing import Dict, Optional

import numpy as np

from mesh_recovery.conventions import SMPL_24, SPIN_24, flip_permutation, mirror_name, smpl_parents

FIXTURES = Path(__file__).resolve().parents[2] / '..' / 'shared' / 'fixtures' / 'mmpose_v0.29'
H36M_NAMES = ('S1_Directions_1.54138969_000001.jpg', 'S5_SittingDown.54138969_002061.jpg',
              'S7_Greeting.55011271_000396.jpg', 'S8_WalkDog_1.55011271_000026.jpg')

# Rest joints (metres, y up, subject's left at +x) of the left and middle SMPL joints;
# right joints are their mirror images.
_REST_JOINTS = {
    'pelvis': (0.0, 0.0, 0.0), 'left_hip': (0.09, -0.08, 0.0), 'spine1': (0.0, 0.1, -0.01),
    'left_knee': (0.1, -0.45, 0.01), 'spine2': (0.0, 0.23, -0.01), 'left_ankle': (0.1, -0.85, -0.02),
    'spine3': (0.0, 0.29, 0.0), 'left_foot': (0.11, -0.9, 0.1), 'neck': (0.0, 0.5, -0.02),
    'left_collar': (0.08, 0.42, -0.01), 'head': (0.0, 0.6, 0.03), 'left_shoulder': (0.18, 0.44, -0.02),
    'left_elbow': (0.45, 0.44, -0.03), 'left_wrist': (0.7, 0.44, -0.02), 'left_hand': (0.78, 0.44, -0.02),
}
_MIRROR = np.array([-1.0, 1.0, 1.0])


def write_spin_npz(path: Path, num: int, seed: int = 0, keys: tuple = ('part', 'S', 'pose', 'shape'),
                   extra: Optional[Dict[str, np.ndarray]] = None) -> Dict[str, np.ndarray]:
    """Write a SPIN-format annotation file with random content; return its arrays."""
    rng = np.random.default_rng(seed)
    arrays = {
        'imgname': np.array([f'img_{seed}_{i:05d}.jpg' for i in range(num)]),
        'center': rng.uniform(100, 300, (num, 2)),
        'scale': rng.uniform(0.8, 1.6, num),
        'part': np.concatenate([rng.uniform(0, 400, (num, 24, 2)), rng.integers(0, 2, (num, 24, 1))], -1),
        'S': np.concatenate([rng.normal(0, 0.3, (num, 24, 3)), rng.integers(0, 2, (num, 24, 1))], -1),
        'pose': rng.normal(0, 0.3, (num, 72)),
        'shape': rng.normal(0, 1, (num, 10)),
    }
    arrays = {k: v for k, v in arrays.items() if k in ('imgname', 'center', 'scale') + tuple(keys)}
    arrays.update(extra or {})
    np.savez(path, **arrays)
    return arrays


def _symmetrise_vertices(rng: np.random.Generator, mirror_vertex: np.ndarray, perm: np.ndarray,
                         num_betas: int) -> Dict[str, np.ndarray]:
    """Random shape/pose blend shapes and skinning weights, made exactly mirror-symmetric.

    Each quantity Q is averaged with its mirror image T(Q); T is an involution, so
    (Q + T(Q)) / 2 is mapped to itself by the mirror.
    """
    num_verts, num_joints = len(mirror_vertex), len(perm)
    shapedirs = rng.normal(0, 0.01, (num_verts, 3, num_betas))
    shapedirs = 0.5 * (shapedirs + _MIRROR[:, None] * shapedirs[mirror_vertex])
    # Pose features are (R_j - I) for joints 1..23; mirroring R -> M R M flips the
    # sign of entry (a, b) by m_a * m_b and moves it to the mirrored joint.
    entry_sign = np.outer(_MIRROR, _MIRROR).reshape(9)
    posedirs = rng.normal(0, 0.01, (num_verts, 3, num_joints - 1, 9))
    mirrored = _MIRROR[:, None, None] * posedirs[mirror_vertex][:, :, perm[1:] - 1] * entry_sign
    posedirs = (0.5 * (posedirs + mirrored)).reshape(num_verts, 3, 9 * (num_joints - 1))
    weights = rng.dirichlet(np.full(num_joints, 0.3), num_verts)
    weights = 0.5 * (weights + weights[mirror_vertex][:, perm])
    return {'shapedirs': shapedirs, 'posedirs': posedirs, 'weights': weights}


def build_symmetric_body_model(directory: Path, seed: int = 0, per_joint: int = 6) -> Dict[str, object]:
    """Write a tiny SMPL-format model whose template is symmetric under x -> -x.

    Every vertex has a mirror vertex, every left joint its right joint, and all
    blend shapes, weights and regressors respect the mirror, so mirroring a
    posed mesh equals posing the mirrored (flipped) parameters.

    Returns:
        ``model``: path of ``SMPL_NEUTRAL.npz``; ``regressor``: path of a
        (24, V) SPIN-24 joints regressor; ``mirror_vertex`` (V,) the index of
        each vertex's mirror image.
    """
    rng = np.random.default_rng(seed)
    perm = np.array(flip_permutation(SMPL_24))
    joints = np.zeros((24, 3))
    for name, xyz in _REST_JOINTS.items():
        joints[SMPL_24.index(name)] = xyz
        if name.startswith('left_'):
            joints[SMPL_24.index(mirror_name(name))] = np.array(xyz) * _MIRROR
    # Each joint gets a cluster of vertices; a left cluster's mirror is the right one,
    # a middle cluster holds mirrored pairs of offsets.
    offsets = rng.normal(0, 0.03, (24, per_joint, 3))
    for j in range(24):
        if perm[j] == j:
            offsets[j, per_joint // 2:] = offsets[j, :per_joint // 2] * _MIRROR
        elif SMPL_24[j].startswith('right_'):
            offsets[j] = offsets[perm[j]] * _MIRROR
    v_template = (joints[:, None] + offsets).reshape(-1, 3)
    owner = np.repeat(np.arange(24), per_joint)
    slot = np.tile(np.arange(per_joint), 24)
    half = per_joint // 2
    mirror_slot = np.where(perm[owner] == owner, (slot + half) % per_joint, slot)
    mirror_vertex = perm[owner] * per_joint + mirror_slot
    assert np.allclose(v_template[mirror_vertex], v_template * _MIRROR)

    arrays = _symmetrise_vertices(rng, mirror_vertex, perm, num_betas=10)
    j_regressor = np.zeros((24, len(v_template)))
    j_regressor[owner, np.arange(len(v_template))] = 1.0 / per_joint
    spin_perm = np.array(flip_permutation(SPIN_24))
    spin_regressor = rng.uniform(0, 1, (24, len(v_template))) ** 4
    spin_regressor = 0.5 * (spin_regressor + spin_regressor[spin_perm][:, mirror_vertex])
    spin_regressor /= spin_regressor.sum(1, keepdims=True)
    faces = np.stack([np.arange(0, len(v_template) - 2, 3), np.arange(1, len(v_template) - 1, 3),
                      np.arange(2, len(v_template), 3)], axis=1)
    kintree = np.stack([np.array(smpl_parents()), np.arange(24)])
    model_path = directory / 'SMPL_NEUTRAL.npz'
    np.savez(model_path, v_template=v_template, J_regressor=j_regressor, kintree_table=kintree, f=faces,
             **arrays)
    regressor_path = directory / 'spin_regressor.npy'
    np.save(regressor_path, spin_regressor)
    return {'model': str(model_path), 'regressor': str(regressor_path), 'mirror_vertex': mirror_vertex}
