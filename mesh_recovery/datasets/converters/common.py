"""Helpers shared by the converters: raw-file readers with clear errors, boxes, writing."""
import glob
import os
import os.path as osp
from typing import Dict, List, Mapping, Sequence, Tuple

import numpy as np

from mesh_recovery.utils.errors import BadFileError, MissingFileError
from mesh_recovery.utils.npz import save_npz_deterministic

from ..annotation_format import FLOAT_KEYS
# Box side = factor * the keypoint box's longer side (SPIN's scaleFactor for most datasets).
KEYPOINT_BOX_FACTOR = 1.2
SCALE_UNIT = 200.0


def require_file(path: str, what: str, dataset: str) -> str:
    """Return ``path`` if it is a file, else raise ``MissingFileError`` naming it and the dataset layout."""
    if not osp.isfile(path):
        raise MissingFileError(f'{dataset}: {what} not found at {path}; check --root and the raw layout '
                               'in docs/data_preparation.md')
    return path


def require_dir(path: str, what: str, dataset: str) -> str:
    """Return ``path`` if it is a folder, else raise ``MissingFileError``."""
    if not osp.isdir(path):
        raise MissingFileError(f'{dataset}: {what} not found at {path}; check --root and the raw layout '
                               'in docs/data_preparation.md')
    return path


def sorted_glob(pattern: str, what: str, dataset: str) -> List[str]:
    """Sorted matches of ``pattern``; none is an error naming the pattern."""
    paths = sorted(glob.glob(pattern))
    if not paths:
        raise MissingFileError(f'{dataset}: no {what} matches {pattern}; check --root and the raw layout '
                               'in docs/data_preparation.md')
    return paths


def load_mat(path: str, keys: Sequence[str], dataset: str) -> Dict[str, np.ndarray]:
    """Read ``keys`` of a MATLAB (<= v7.2) ``.mat`` file with scipy."""
    import scipy.io
    require_file(path, 'annotation file', dataset)
    try:
        mat = scipy.io.loadmat(path)
    except Exception as exc:  # scipy raises ValueError, IndexError, ... on a bad file
        raise BadFileError(f'{dataset}: cannot read {path} as a MATLAB .mat file ({exc}); expected the '
                           "dataset's original file") from exc
    missing = [k for k in keys if k not in mat]
    if missing:
        present = sorted(k for k in mat if not k.startswith('__'))
        raise BadFileError(f'{dataset}: {path} lacks {missing} (it has {present}); expected the original file')
    return {k: mat[k] for k in keys}


def open_h5(path: str, dataset: str, what: str = 'annotation file'):
    """Open an HDF5 file (MATLAB v7.3 ``.mat`` or ``.h5``) with h5py, read-only."""
    import h5py
    require_file(path, what, dataset)
    try:
        return h5py.File(path, 'r')
    except OSError as exc:
        raise BadFileError(f'{dataset}: cannot read {path} as HDF5 ({exc}); expected a MATLAB v7.3 .mat / '
                           '.h5 file') from exc


def h5_dataset(handle, key: str, path: str, dataset: str) -> np.ndarray:
    """``handle[key]`` as an array, or an error naming the file and its keys."""
    if key not in handle:
        raise BadFileError(f'{dataset}: {path} lacks {key!r} (it has {sorted(handle.keys())})')
    return np.asarray(handle[key])


def check_shape(array: np.ndarray, shape: Tuple, path: str, key: str, dataset: str) -> np.ndarray:
    """Check ``array.shape`` against ``shape`` (None = any size in that axis)."""
    ok = array.ndim == len(shape) and all(s is None or s == a for s, a in zip(shape, array.shape))
    if not ok:
        wanted = tuple('N' if s is None else s for s in shape)
        raise BadFileError(f'{dataset}: {path}: {key} has shape {array.shape}, expected {wanted}')
    return array


def keypoint_box(points: np.ndarray, factor: float = KEYPOINT_BOX_FACTOR) -> Tuple[List[float], float]:
    """SPIN's box of a set of points: centre of the tight box and ``factor * longer side / 200``.

    Args:
        points: (K, 2) pixel coordinates (K >= 1); computed in float64.

    Returns:
        ``([cx, cy], scale)``.
    """
    points = np.asarray(points, dtype=np.float64)
    x0, y0 = points.min(axis=0)
    x1, y1 = points.max(axis=0)
    return [(x1 + x0) / 2, (y1 + y0) / 2], factor * max(x1 - x0, y1 - y0) / SCALE_UNIT


def save_annotations(out_dir: str, name: str, columns: Mapping[str, Sequence]) -> str:
    """Write SPIN-format columns to ``out_dir/name`` (float keys as float64, strings as unicode).

    The file is written atomically (a half-written file never has the final name).
    """
    count = {k: len(v) for k, v in columns.items()}
    if len(set(count.values())) > 1:
        raise AssertionError(f'columns of {name} have different lengths: {count}')
    if not count or not next(iter(count.values())):
        raise BadFileError(f'{name}: no sample passed the filters; check that --root holds the full dataset')
    arrays = {}
    for key, values in columns.items():
        if key in FLOAT_KEYS:
            arrays[key] = np.asarray(values, dtype=np.float64)
        else:
            arrays[key] = np.asarray([str(v) for v in values])
    os.makedirs(out_dir, exist_ok=True)
    return save_npz_deterministic(osp.join(out_dir, name), arrays, compress=False)


def spin_part(points: np.ndarray, slots: Sequence[int], visible: np.ndarray = None) -> np.ndarray:
    """A (24, 3) ``part`` array: ``points`` (K, 2) in ``slots`` with visibility (default 1)."""
    part = np.zeros((24, 3))
    part[list(slots), :2] = points
    part[list(slots), 2] = 1 if visible is None else visible
    return part
