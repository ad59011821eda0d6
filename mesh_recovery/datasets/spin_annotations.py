"""Read SPIN / mmpose 0.x annotation ``.npz`` files into column arrays.

Real training files hold ~300k samples. They are kept as a handful of numpy
columns (one array per field) instead of one Python dict per sample: loading
is a few array conversions, and forked DataLoader workers share the pages
because reading a numpy array touches no per-sample reference counts.
"""
from typing import Dict, Iterable, Optional

import numpy as np
from mmengine.fileio import get_local_path

from mesh_recovery.utils.files import load_npz

from .annotation_format import (COLUMN_NAMES, GENDER_FEMALE, GENDER_MALE, GENDER_UNKNOWN, OPTIONAL_KEYS,
                                REQUIRED_KEYS, SAMPLE_SHAPES)


def _load_npz(ann_file: str, local_path: str, required: Iterable[str],
              wanted: Iterable[str]) -> Dict[str, np.ndarray]:
    # The shared reader names the file for empty, truncated, foreign and object-array files.
    return load_npz(local_path, 'annotation file', keys=tuple(wanted), required=tuple(required),
                    hint='check ann_file / data_root in the dataset config; see docs/data_preparation.md')


def load_npz_arrays(ann_file: str, required: Iterable[str], optional: Iterable[str] = (),
                    backend_args: Optional[dict] = None) -> Dict[str, np.ndarray]:
    """Load some keys of an ``.npz`` file without unpickling anything.

    Args:
        ann_file: Path (or backend URI) of the file.
        required: Keys that must be present.
        optional: Keys loaded when present.
        backend_args: mmengine file backend arguments.

    Raises:
        FileNotFoundError: The file does not exist.
        KeyError: A required key is missing (the message lists the present keys).
    """
    required = tuple(required)
    with get_local_path(ann_file, backend_args=backend_args) as local_path:
        return _load_npz(ann_file, local_path, required, required + tuple(optional))


def check_shape(ann_file: str, key: str, array: np.ndarray, shape: tuple) -> np.ndarray:
    """Return ``array`` as float32 after checking its shape (``-1`` matches anything)."""
    if array.ndim != len(shape) or any(e not in (-1, a) for a, e in zip(array.shape, shape)):
        expected = tuple('N' if e == -1 else e for e in shape)
        raise ValueError(f'{ann_file}: key {key!r} must have shape {expected}, got {array.shape}')
    return np.ascontiguousarray(array, dtype=np.float32)


def _gender_codes(ann_file: str, gender: np.ndarray, num: int) -> np.ndarray:
    if gender.shape != (num, ):
        raise ValueError(f"{ann_file}: key 'gender' must have shape ({num},), got {gender.shape}")
    if gender.dtype.kind == 'S':
        gender = np.char.decode(gender, 'utf-8')
    labels = np.char.lower(np.char.strip(gender.astype(str)))
    codes = np.full(num, GENDER_UNKNOWN, dtype=np.int64)
    codes[np.isin(labels, ('m', 'male'))] = GENDER_MALE
    codes[np.isin(labels, ('f', 'female'))] = GENDER_FEMALE
    return codes


def _has_smpl(ann_file: str, arrays: Dict[str, np.ndarray], num: int) -> np.ndarray:
    have_params = 'pose' in arrays and 'shape' in arrays
    if 'has_smpl' not in arrays:
        return np.full(num, 1.0 if have_params else 0.0, dtype=np.float32)
    flags = check_shape(ann_file, 'has_smpl', arrays['has_smpl'], (num, ))
    if not np.isin(flags, (0.0, 1.0)).all():
        raise ValueError(f"{ann_file}: 'has_smpl' must hold only 0 and 1, got values "
                         f'{np.unique(flags)[:10].tolist()}')
    if not have_params and flags.any():
        raise ValueError(f"{ann_file}: 'has_smpl' is 1 for {int(flags.sum())} samples but the file "
                         f"lacks {[k for k in ('pose', 'shape') if k not in arrays]}")
    return flags


def _image_names(ann_file: str, names: np.ndarray) -> np.ndarray:
    if names.ndim != 1:
        raise ValueError(f"{ann_file}: key 'imgname' must have shape (N,), got {names.shape}")
    if names.dtype.kind == 'S':
        names = np.char.decode(names, 'utf-8')
    if names.dtype.kind != 'U':
        raise ValueError(f"{ann_file}: key 'imgname' must hold strings, got dtype {names.dtype}")
    return names


def load_spin_annotations(ann_file: str, backend_args: Optional[dict] = None) -> Dict[str, np.ndarray]:
    """Read a SPIN-format annotation file (docs/data_contract.md) into per-field columns.

    Absent optional data becomes zeros with zero visibility / ``has_smpl`` 0,
    never invented values; a per-sample ``has_smpl`` key is honoured.

    Args:
        ann_file: The ``.npz`` path (or backend URI).
        backend_args: mmengine file backend arguments.

    Returns:
        Columns, N samples each: ``imgname`` (N,) str; ``center`` (N, 2) px;
        ``scale`` (N,) box side / 200; ``keypoints_2d`` (N, 24, 3) px + visibility;
        ``keypoints_3d`` (N, 24, 4) metres + confidence; ``pose`` (N, 72)
        axis-angle; ``betas`` (N, 10); ``has_smpl`` (N,) 0/1; ``gender`` (N,)
        int64 (-1 unknown, 0 male, 1 female); ``focal_length`` (N,) px of the
        original image's camera, 0 where unknown (CLIFF then estimates it).
        Floats are float32.

    Raises:
        KeyError: ``imgname``, ``center`` or ``scale`` is missing.
        ValueError: A key has the wrong shape or inconsistent content.
    """
    arrays = load_npz_arrays(ann_file, REQUIRED_KEYS, OPTIONAL_KEYS, backend_args)
    names = _image_names(ann_file, arrays['imgname'])
    num = len(names)
    columns = {
        'imgname': names,
        'center': check_shape(ann_file, 'center', arrays['center'], (num, 2)),
        'scale': check_shape(ann_file, 'scale', arrays['scale'], (num, )),
    }
    for key, column in COLUMN_NAMES.items():
        shape = SAMPLE_SHAPES[key]
        if key in arrays:
            columns[column] = check_shape(ann_file, key, arrays[key], (num, ) + shape)
        else:
            columns[column] = np.zeros((num, ) + shape, dtype=np.float32)
    columns['has_smpl'] = _has_smpl(ann_file, arrays, num)
    if 'gender' in arrays:
        columns['gender'] = _gender_codes(ann_file, arrays['gender'], num)
    else:
        columns['gender'] = np.full(num, GENDER_UNKNOWN, dtype=np.int64)
    columns['focal_length'] = _focal_lengths(ann_file, arrays, num)
    return columns


def _focal_lengths(ann_file: str, arrays: Dict[str, np.ndarray], num: int) -> np.ndarray:
    """``focal_length`` (N,) or square-pixel (N, 2) ``(fx, fy)`` px; zeros (unknown) when absent."""
    if 'focal_length' not in arrays:
        return np.zeros(num, dtype=np.float32)
    focal = np.asarray(arrays['focal_length'], dtype=np.float32)
    if focal.shape == (num, 2):
        if not np.allclose(focal[:, 0], focal[:, 1], rtol=1e-4):
            raise ValueError(f'{ann_file}: "focal_length" (fx, fy) differ; one focal length per image (square '
                             'pixels) is expected')
        focal = focal[:, 0]
    focal = check_shape(ann_file, 'focal_length', focal, (num, ))
    if not np.all(np.isfinite(focal)) or (focal < 0).any():
        raise ValueError(f'{ann_file}: "focal_length" must be finite px >= 0 (0: unknown)')
    return focal


def require_protocol_keys(ann_file: str, keys: Iterable[str], protocol: str,
                          backend_args: Optional[dict] = None) -> None:
    """Check that an annotation file holds the keys an evaluation protocol needs.

    Args:
        ann_file: The ``.npz`` path (or backend URI).
        keys: Keys the protocol reads.
        protocol: Name of the protocol, for the message (e.g. ``'3DPW test'``).
        backend_args: mmengine file backend arguments.

    Raises:
        FileNotFoundError: The file does not exist.
        KeyError: Keys are missing; the message names the file, the protocol,
            the missing and the present keys.
    """
    with get_local_path(ann_file, backend_args=backend_args) as local_path:
        try:
            with np.load(local_path, allow_pickle=False) as npz:
                present = sorted(npz.files)
        except FileNotFoundError:
            raise FileNotFoundError(f'annotation file {ann_file} ({protocol}) does not exist; check '
                                    f'ann_file / data_root in the dataset config') from None
    missing = [k for k in keys if k not in present]
    if missing:
        raise KeyError(f'annotation file {ann_file} lacks the keys {missing} that the {protocol} '
                       f'protocol needs; it has {present}. Regenerate it with the preprocessing '
                       f'that writes them (docs/evaluation.md)')
