"""Byte-reproducible ``.npz`` files.

``np.savez_compressed`` stamps each zip entry with the current time, so two
runs that compute identical arrays still write different files. Fixing the
entry time and order makes a rebuild comparable byte for byte.
"""
import io
import os
import zipfile
from typing import Dict, Mapping, Tuple

import numpy as np

from .atomic import atomic_write_bytes
from .files import DECODE_ERRORS, decode_error, require_file

_EPOCH = (1980, 1, 1, 0, 0, 0)


def _npy_bytes(array: np.ndarray) -> bytes:
    entry = io.BytesIO()
    np.lib.format.write_array(entry, np.ascontiguousarray(array), allow_pickle=False)
    return entry.getvalue()


def save_npz_deterministic(path: str, arrays: Mapping[str, np.ndarray], compress: bool = True) -> str:
    """Write ``arrays`` as an ``.npz`` readable by ``np.load``, identical for identical arrays.

    Args:
        path: Destination file; written atomically (parent folders are created).
        arrays: Key -> array (no object arrays); keys are written in sorted order.
        compress: Deflate the entries at level 9.

    Returns:
        ``path``.
    """
    buffer = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(buffer, 'w', compression=method) as archive:
        for key in sorted(arrays):
            info = zipfile.ZipInfo(f'{key}.npy', date_time=_EPOCH)
            info.compress_type = method
            info.external_attr = 0o644 << 16
            archive.writestr(info, _npy_bytes(arrays[key]), compresslevel=9 if compress else None)
    atomic_write_bytes(buffer.getvalue(), os.fspath(path))
    return path


def save_npy(path: str, array: np.ndarray) -> str:
    """Write one array as ``.npy`` (no pickles), atomically. Returns ``path``."""
    atomic_write_bytes(_npy_bytes(array), os.fspath(path))
    return path


def npz_layout(path: str, what: str = 'annotation file') -> Dict[str, Tuple[tuple, np.dtype]]:
    """Return ``{key: (shape, dtype)}`` of an ``.npz`` file, reading only the array headers.

    Annotation files hold hundreds of thousands of samples; checking their
    layout must not load them.

    Raises:
        MissingFileError, BadFileError: Missing, empty, not an archive, truncated.
    """
    require_file(path, what)
    layout = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if not name.endswith('.npy'):
                    continue
                with archive.open(name) as f:
                    version = np.lib.format.read_magic(f)
                    read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                                   else np.lib.format.read_array_header_2_0)
                    shape, _, dtype = read_header(f)
                layout[name[:-len('.npy')]] = (tuple(shape), dtype)
    except DECODE_ERRORS as exc:
        raise decode_error(os.fspath(path), what, 'an .npz archive', exc) from exc
    return layout


def npz_shapes(path: str) -> dict:
    """Return ``{key: shape}`` of an ``.npz`` file, reading only the array headers (see :func:`npz_layout`)."""
    return {key: shape for key, (shape, _) in npz_layout(path).items()}
