"""Safe loading of SMPL-format body model files (.pkl or .npz).

The official SMPL pickles were written by Python 2 with chumpy and scipy objects
inside. Unpickling them normally would import chumpy (which does not import on
Python 3.11) and, like any pickle, could run arbitrary code. This module reads
them with a restricted unpickler: only an allow-list of numpy, scipy.sparse and
builtin globals is resolved, chumpy and scipy.sparse classes are replaced by
inert stand-ins that merely record their state (a chumpy ``Ch`` keeps its array
under the state key ``x``), and every other global is refused.
"""
import importlib
import logging
import os.path as osp
import pickle
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

import numpy as np
from mmengine.logging import print_log

from mesh_recovery.utils.errors import BadFileError, BadValueError, MissingFileError, UserError
from mesh_recovery.utils.files import DECODE_ERRORS, decode_error, load_npy, load_npz, require_file, require_finite

from .model_files import BODY_MODEL_KEYS, CANDIDATE_NAMES, GENDERS, GET_ONE, WHERE_FROM

class UnsafePickleError(UserError, pickle.UnpicklingError):
    """Raised when a body model pickle references a global outside the allow-list."""


@dataclass
class BodyModelData:
    """Arrays of an SMPL-format body model, as loaded from disk.

    Attributes:
        v_template: (V, 3) float32 rest-pose template vertices, metres.
        shapedirs: (V, 3, S) float32 shape blend directions (S = num_betas).
        posedirs: (V, 3, 9 * (J - 1)) float32 pose-corrective blend directions.
        J_regressor: (J, V) float32 dense joint regressor of the kinematic joints.
        weights: (V, J) float32 skinning weights.
        parents: (J,) int64 parent of each joint, -1 for the root.
        faces: (F, 3) int64 triangle vertex indices.
        path: the file the arrays were read from.
    """
    v_template: np.ndarray
    shapedirs: np.ndarray
    posedirs: np.ndarray
    J_regressor: np.ndarray
    weights: np.ndarray
    parents: np.ndarray
    faces: np.ndarray
    path: str = ''

    @property
    def num_vertices(self) -> int:
        return int(self.v_template.shape[0])

    @property
    def num_joints(self) -> int:
        return int(self.parents.shape[0])

    @property
    def num_betas(self) -> int:
        return int(self.shapedirs.shape[2])


class _Stub:
    """Inert stand-in for a pickled chumpy or scipy.sparse object: records state only."""
    qualname = ''

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs, self.state = args, kwargs, None

    def __setstate__(self, state):
        self.state = state


class _ChumpyStub(_Stub):
    pass


class _SparseStub(_Stub):
    pass


_STUB_CLASSES: Dict[Tuple[str, str], type] = {}


def _stub_class(base: type, module: str, name: str) -> type:
    key = (module, name)
    if key not in _STUB_CLASSES:
        _STUB_CLASSES[key] = type(name, (base, ), {'qualname': f'{module}.{name}'})
    return _STUB_CLASSES[key]


def _numpy_global(submodule: str, name: str) -> Any:
    """Resolve a numpy.core / numpy._core global under numpy 1 or 2."""
    for prefix in ('numpy._core', 'numpy.core'):
        try:
            return getattr(importlib.import_module(f'{prefix}.{submodule}'), name)
        except (ImportError, AttributeError):
            continue
    raise pickle.UnpicklingError(f'numpy has no {submodule}.{name}')


_NUMPY_CORE = {('multiarray', '_reconstruct'), ('multiarray', 'scalar'), ('numeric', '_frombuffer')}
_BUILTINS = {'object': object, 'set': set, 'frozenset': frozenset}
_SPARSE_MODULES = {'scipy.sparse.csc', 'scipy.sparse._csc', 'scipy.sparse.csr', 'scipy.sparse._csr'}
_SPARSE_NAMES = {'csc_matrix', 'csr_matrix', 'csc_array', 'csr_array'}


class _RestrictedUnpickler(pickle.Unpickler):
    """Unpickler resolving only allow-listed globals; ``path`` is used in messages."""

    def __init__(self, file, path: str):
        super().__init__(file, encoding='latin1', fix_imports=True)
        self.path = path

    def find_class(self, module: str, name: str) -> Any:
        # Names arrive as written by Python 2 (``copy_reg``, ``__builtin__``) or 3.
        if module in ('__builtin__', 'builtins') and name in _BUILTINS:
            return _BUILTINS[name]
        if module in ('copy_reg', 'copyreg') and name == '_reconstructor':
            return super().find_class('copyreg', '_reconstructor')
        if module == '_codecs' and name == 'encode':
            # Protocol-2 pickles written by Python 3 store bytes as _codecs.encode(str, 'latin1').
            return super().find_class('_codecs', 'encode')
        if module == 'numpy' and name in ('ndarray', 'dtype'):
            return getattr(np, name)
        for prefix in ('numpy.core.', 'numpy._core.'):
            if module.startswith(prefix) and (module[len(prefix):], name) in _NUMPY_CORE:
                return _numpy_global(module[len(prefix):], name)
        if module in _SPARSE_MODULES and name in _SPARSE_NAMES:
            return _stub_class(_SparseStub, module, name)
        if (module == 'chumpy' or module.startswith('chumpy.')) and name.isidentifier():
            # Stand-ins never run chumpy code, so any chumpy class name is harmless.
            return _stub_class(_ChumpyStub, module, name)
        raise UnsafePickleError(
            f"{self.path}: refusing to load global '{module}.{name}': body model pickles may only "
            'reference numpy arrays, scipy.sparse csc/csr matrices and chumpy arrays. The file is not '
            'an SMPL model file or may be malicious; convert it to .npz with the keys '
            f"{', '.join(BODY_MODEL_KEYS)} if you trust it.")


def _sparse_to_dense(stub: _SparseStub, path: str, key: str) -> np.ndarray:
    from scipy import sparse
    state = stub.state if isinstance(stub.state, dict) else {}
    shape = state.get('_shape', state.get('shape'))
    if not all(k in state for k in ('data', 'indices', 'indptr')) or shape is None:
        raise BadFileError(f"{path}: key '{key}' holds a {stub.qualname} without data/indices/indptr/shape")
    cls = sparse.csr_matrix if 'csr' in stub.qualname else sparse.csc_matrix
    matrix = cls((np.asarray(state['data']), np.asarray(state['indices']), np.asarray(state['indptr'])),
                 shape=tuple(int(s) for s in shape))
    return np.asarray(matrix.toarray())


def _to_array(value: Any, path: str, key: str) -> np.ndarray:
    """Turn a loaded value (array, chumpy / sparse stand-in) into a numpy array."""
    if isinstance(value, _ChumpyStub):
        state = value.state if isinstance(value.state, dict) else {}
        if 'x' not in state:
            raise BadFileError(f"{path}: key '{key}' is a chumpy expression ({value.qualname}) without a "
                             "stored array 'x'; it cannot be evaluated without chumpy. Re-export the "
                             'model with plain numpy arrays.')
        return _to_array(state['x'], path, key)
    if isinstance(value, _SparseStub):
        return _sparse_to_dense(value, path, key)
    if hasattr(value, 'toarray'):  # a real scipy.sparse matrix (e.g. from an .npz of objects)
        return np.asarray(value.toarray())
    return np.asarray(value)


def _read_raw(path: str) -> Dict[str, Any]:
    if path.endswith('.npz'):
        return load_npz(path, 'body model file', hint=GET_ONE)
    require_file(path, 'body model file', GET_ONE)
    try:
        with open(path, 'rb') as f:
            data = _RestrictedUnpickler(f, path).load()
    except UnsafePickleError:
        raise
    except DECODE_ERRORS as exc:
        raise decode_error(path, 'body model file', 'an SMPL model pickle', exc, GET_ONE) from exc
    if not isinstance(data, dict):
        raise BadFileError(f'{path}: expected a pickled dict of model arrays, got {type(data).__name__}; '
                           + GET_ONE)
    return data


def _parents_from_kintree(kintree: np.ndarray, path: str) -> np.ndarray:
    kintree = np.asarray(kintree).astype(np.int64)
    if kintree.ndim != 2 or kintree.shape[0] != 2:
        raise BadFileError(f"{path}: 'kintree_table' must have shape (2, J), got {kintree.shape}")
    num_joints = kintree.shape[1]
    if not np.array_equal(kintree[1], np.arange(num_joints)):
        raise BadFileError(f"{path}: row 1 of 'kintree_table' must be the joint ids 0..{num_joints - 1}")
    parents = kintree[0].copy()
    # The root's parent is stored as uint32 -1 (4294967295) in official files.
    if parents[0] < 0 or parents[0] >= num_joints:
        parents[0] = -1
    else:
        raise BadFileError(f"{path}: joint 0 must be the root of 'kintree_table', got parent {parents[0]}")
    bad = [j for j in range(1, num_joints) if not 0 <= parents[j] < num_joints]
    if bad:
        raise BadFileError(f"{path}: 'kintree_table' parents out of range for joints {bad}")
    for j in range(num_joints):  # every chain must reach the root within J steps (no cycles)
        node, steps = j, 0
        while node != -1 and steps <= num_joints:
            node, steps = parents[node], steps + 1
        if node != -1:
            raise BadFileError(f"{path}: 'kintree_table' has a cycle through joint {j}")
    return parents


def _check_shapes(d: BodyModelData) -> None:
    num_verts, num_joints = d.num_vertices, d.num_joints
    expected = {
        'v_template': (d.v_template, (num_verts, 3)),
        'shapedirs': (d.shapedirs, (num_verts, 3, d.shapedirs.shape[-1])),
        'posedirs': (d.posedirs, (num_verts, 3, 9 * (num_joints - 1))),
        'J_regressor': (d.J_regressor, (num_joints, num_verts)),
        'weights': (d.weights, (num_verts, num_joints)),
        'f': (d.faces, (d.faces.shape[0], 3)),
    }
    for key, (arr, shape) in expected.items():
        if arr.shape != shape:
            raise BadFileError(f"{d.path}: '{key}' has shape {arr.shape}, expected {shape} "
                             f'(V={num_verts} vertices from v_template, J={num_joints} joints from kintree_table)')
    if d.faces.size and (d.faces.min() < 0 or d.faces.max() >= num_verts):
        raise BadFileError(f"{d.path}: 'f' indexes vertices outside [0, {num_verts})")


def load_body_model_data(path: str, num_betas: int = 10) -> BodyModelData:
    """Load an SMPL-format body model from an official .pkl or an .npz with the same keys.

    Args:
        path: model file (.pkl, Python 2 or 3 pickle, chumpy objects allowed; or .npz).
        num_betas: number of shape components to keep. Files with more (SMPL 1.1 has
            300) are truncated to the first ``num_betas`` (logged); fewer is an error.

    Returns:
        BodyModelData with float32 / int64 arrays.

    Raises:
        FileNotFoundError: the file does not exist (the message says where it comes from).
        UnsafePickleError: the pickle references a global outside the allow-list.
        BadFileError (a ValueError): the file is empty, truncated or not a model file, a key is
            missing, an array has an inconsistent shape or holds NaN / infinite values.
    """
    path = str(path)
    if not osp.isfile(path):
        raise MissingFileError(f'Body model file not found: {path}\n{WHERE_FROM}')
    raw = _read_raw(path)
    missing = [k for k in BODY_MODEL_KEYS if k not in raw]
    if missing:
        raise BadFileError(f'{path}: missing body model keys {missing}; an SMPL-format model needs '
                         f'{list(BODY_MODEL_KEYS)}')
    try:
        arrays = {k: _to_array(raw[k], path, k) for k in BODY_MODEL_KEYS}
    except BadFileError:
        raise
    except (RecursionError, TypeError, ValueError) as exc:  # a chumpy array that contains itself, bad sparse data
        raise decode_error(path, 'body model file', 'an SMPL model', exc, GET_ONE) from exc
    for key in ('v_template', 'shapedirs', 'posedirs', 'J_regressor', 'weights'):
        if arrays[key].dtype.kind not in 'biuf':
            raise BadFileError(f"{path}: '{key}' holds {arrays[key].dtype} values, expected numbers")
        require_finite(np.atleast_1d(arrays[key]), path, key, 'body model file')
    shapedirs = arrays['shapedirs']
    if shapedirs.ndim != 3:
        raise BadFileError(f"{path}: 'shapedirs' must have shape (V, 3, S), got {shapedirs.shape}")
    if shapedirs.shape[2] < num_betas:
        raise BadFileError(f"{path}: 'shapedirs' has {shapedirs.shape[2]} shape components but "
                         f'num_betas={num_betas} were requested; lower num_betas')
    if shapedirs.shape[2] > num_betas:
        print_log(f'{path}: using the first {num_betas} of {shapedirs.shape[2]} shape components',
                  logger='current', level=logging.INFO)
    data = BodyModelData(
        v_template=arrays['v_template'].astype(np.float32),
        shapedirs=np.ascontiguousarray(shapedirs[:, :, :num_betas], dtype=np.float32),
        posedirs=arrays['posedirs'].astype(np.float32),
        J_regressor=arrays['J_regressor'].astype(np.float32),
        weights=arrays['weights'].astype(np.float32),
        parents=_parents_from_kintree(arrays['kintree_table'], path),
        faces=arrays['f'].astype(np.int64),
        path=path)
    _check_shapes(data)
    return data


def resolve_body_model_path(smpl_path: str, gender: str = 'neutral') -> str:
    """Find the model file of one gender.

    Args:
        smpl_path: a model file (used as is) or a directory holding ``SMPL_{GENDER}.pkl``
            (or ``.npz``, or the official ``basicModel_*`` names; for the neutral model
            also ``body_model.npz``, the free body model's name).
        gender: 'neutral', 'male' or 'female'.

    Returns:
        The path of the model file.

    Raises:
        FileNotFoundError: nothing found; names the expected file and where to get it.
    """
    if gender not in GENDERS:
        raise BadValueError(f"gender must be one of {GENDERS}, got '{gender}'")
    smpl_path = str(smpl_path)
    if osp.isfile(smpl_path):
        return smpl_path
    if osp.isdir(smpl_path):
        for name in CANDIDATE_NAMES[gender]:
            candidate = osp.join(smpl_path, name)
            if osp.isfile(candidate):
                return candidate
        missing = osp.join(smpl_path, CANDIDATE_NAMES[gender][0])
        raise MissingFileError(f'No {gender} body model in {smpl_path}: expected {missing} '
                                f'(or .npz with the same keys)\n{WHERE_FROM}')
    raise MissingFileError(f'Body model path not found: {smpl_path}\n{WHERE_FROM}')


def find_optional_gender_path(smpl_path: str, gender: str) -> Optional[str]:
    """Return the model file of ``gender`` in directory ``smpl_path``, or None if absent."""
    if not osp.isdir(str(smpl_path)):
        return None
    try:
        return resolve_body_model_path(smpl_path, gender)
    except FileNotFoundError:
        return None


def load_joints_regressor(path: str, num_vertices: int) -> np.ndarray:
    """Load a (K, V) joint regressor from .npy (e.g. mmpose's joints_regressor_cmr.npy).

    Raises:
        FileNotFoundError: missing file. ValueError: not 2-D or V != ``num_vertices``.
    """
    path = str(path)
    if not osp.isfile(path):
        raise MissingFileError(f'Joints regressor not found: {path}\n{WHERE_FROM}')
    regressor = load_npy(path, 'joints regressor', GET_ONE)
    if regressor.ndim != 2:
        raise BadFileError(f'{path}: a joints regressor must be a (K, V) matrix, got shape {regressor.shape}')
    if regressor.shape[1] != num_vertices:
        raise BadFileError(f'{path}: the joints regressor (shape {regressor.shape}) is for {regressor.shape[1]} '
                           f'vertices but the body model has {num_vertices}; use the regressor that belongs to '
                           'this body model (joints_regressor_cmr.npy is for SMPL, 6890 vertices)')
    if regressor.dtype.kind not in 'biuf':
        raise BadFileError(f'{path}: the joints regressor holds {regressor.dtype} values, expected numbers')
    require_finite(regressor, path, 'regressor rows', 'joints regressor')
    return regressor.astype(np.float32)


__all__ = ['BodyModelData', 'UnsafePickleError', 'load_body_model_data', 'resolve_body_model_path',
           'find_optional_gender_path', 'load_joints_regressor', 'GENDERS']
