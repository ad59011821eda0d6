"""Synthetic SMPL-format models written exactly like the official files.

The official SMPL pickles are Python-2 protocol-2 pickles holding numpy arrays,
a ``scipy.sparse.csc.csc_matrix`` joint regressor and chumpy ``Ch`` objects. The
models built here have SMPL's kinematic tree, a plausible random template and
non-zero shape, pose-corrective and skinning terms, so LBS differences show up.
Used by the body-model tests and by ``benchmarks/bench_smpl.py``.
"""
import contextlib
import pickle
import sys
import types
from typing import Dict

import numpy as np
from scipy import sparse

from mesh_recovery.conventions import smpl_parents

# Vertex count of the small models used by the body-model test fixtures.
SMALL_NUM_VERTICES = 600

# Python-3 pickles name these globals differently from the Python-2 era files.
_PY2_GLOBALS = {
    b'cnumpy._core.multiarray\n_reconstruct\n': b'cnumpy.core.multiarray\n_reconstruct\n',
    b'cscipy.sparse._csc\ncsc_matrix\n': b'cscipy.sparse.csc\ncsc_matrix\n',
}


def _tree_neighbours(parents) -> list:
    """For each joint: its parent, children and grandparent (the joints moving its skin)."""
    neighbours = [[] for _ in parents]
    for joint, parent in enumerate(parents):
        if parent >= 0:
            neighbours[joint].append(parent)
            neighbours[parent].append(joint)
            if parents[parent] >= 0:
                neighbours[joint].append(parents[parent])
    return neighbours


def make_smpl_arrays(num_vertices: int = 800, num_betas: int = 10, seed: int = 0,
                     template_offset: float = 0.0, influences: int = 4) -> Dict[str, np.ndarray]:
    """Random SMPL-layout model arrays (float64 like the official files).

    Args:
        num_vertices: V.
        num_betas: shape components S (300 mimics SMPL 1.1).
        seed: RNG seed.
        template_offset: added to the template's x coordinate (tells models apart).
        influences: joints per vertex with non-zero skinning weight (at most): the
            vertex's own joint and joints next to it in the tree (parent, children,
            grandparent), as in SMPL.

    Returns:
        Dict with the official keys (plus a few the loader must ignore).
    """
    rng = np.random.default_rng(seed)
    parents = smpl_parents()
    num_joints = len(parents)
    # Joints laid out as a tree: each child sits 5-25 cm from its parent.
    joints = np.zeros((num_joints, 3))
    for j in range(1, num_joints):
        joints[j] = joints[parents[j]] + rng.normal(size=3) * 0.1 + np.sign(rng.normal(size=3)) * 0.05
    owner = rng.integers(0, num_joints, size=num_vertices)
    v_template = joints[owner] + rng.normal(size=(num_vertices, 3)) * 0.04
    v_template[:, 0] += template_offset
    weights = np.zeros((num_vertices, num_joints))
    rows = np.arange(num_vertices)
    weights[rows, owner] = 1.0 + rng.random(num_vertices)
    neighbours = _tree_neighbours(parents)
    table = np.array([n + [n[0]] * (num_joints - len(n)) for n in neighbours])
    counts = np.array([len(n) for n in neighbours])
    for _ in range(influences - 1):
        pick = (rng.random(num_vertices) * counts[owner]).astype(np.int64)
        weights[rows, table[owner, pick]] += rng.random(num_vertices)
    weights /= weights.sum(1, keepdims=True)
    regressor = np.zeros((num_joints, num_vertices))
    for j in range(num_joints):
        idx = rng.choice(num_vertices, size=min(12, num_vertices), replace=False)
        w = rng.random(idx.size) + 0.1
        regressor[j, idx] = w / w.sum()
    kintree = np.array([[4294967295] + parents[1:], list(range(num_joints))], dtype=np.uint32)
    return {
        'v_template': v_template,
        'shapedirs': rng.normal(size=(num_vertices, 3, num_betas)) * 0.02,
        'posedirs': rng.normal(size=(num_vertices, 3, 9 * (num_joints - 1))) * 0.01,
        'J_regressor': regressor,
        'weights': weights,
        'kintree_table': kintree,
        'f': rng.integers(0, num_vertices, size=(2 * num_vertices, 3)).astype(np.uint32),
        'J': joints,
        'bs_style': 'lbs',
        'bs_type': 'lrotmin',
        'vert_sym_idxs': np.arange(num_vertices),
    }


def fake_chumpy_class(module: str, name: str, state_keys=('x', )) -> type:
    """A class that pickles as ``module.name`` with a chumpy-like state dict."""

    def __init__(self, value):
        self.value = value

    def __getstate__(self):
        state = {'_dirty_vars': set(state_keys), '_itr': None, '_make_dense': False,
                 '_make_sparse': False, '_depends_on_deps': {}}
        state.update({key: self.value for key in state_keys})
        return state

    return type(name, (), {'__init__': __init__, '__getstate__': __getstate__, '__module__': module,
                           '__qualname__': name})


@contextlib.contextmanager
def fake_chumpy_modules(*classes: type):
    """Register throw-away ``chumpy`` modules holding ``classes`` only for the block."""
    names = {'chumpy'} | {cls.__module__ for cls in classes}
    saved = {name: sys.modules.get(name) for name in names}
    for name in names:
        sys.modules[name] = types.ModuleType(name)
    for cls in classes:
        setattr(sys.modules[cls.__module__], cls.__name__, cls)
    try:
        yield
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def official_pickle_bytes(arrays: Dict[str, np.ndarray], protocol: int = 2, shapedirs_class: type = None) -> bytes:
    """Pickle model arrays the way the official SMPL files are stored.

    ``shapedirs`` becomes a chumpy ``Ch`` (a throw-away ``chumpy.ch`` module is
    registered only while pickling, so loading cannot rely on it), ``J_regressor``
    a csc matrix, and global names are rewritten to their Python-2 era modules.
    ``shapedirs_class`` replaces the ``Ch`` class (e.g. a chumpy operation).
    """
    ch_class = shapedirs_class or fake_chumpy_class('chumpy.ch', 'Ch')
    payload = dict(arrays)
    payload['shapedirs'] = ch_class(arrays['shapedirs'])
    payload['J_regressor'] = sparse.csc_matrix(arrays['J_regressor'])
    with fake_chumpy_modules(ch_class):
        data = pickle.dumps(payload, protocol=protocol)
    for new, old in _PY2_GLOBALS.items():
        data = data.replace(new, old)
    return data


def write_official_pickle(path, arrays: Dict[str, np.ndarray], protocol: int = 2) -> str:
    """Write :func:`official_pickle_bytes` to ``path``; returns the path as str."""
    with open(path, 'wb') as f:
        f.write(official_pickle_bytes(arrays, protocol))
    return str(path)
