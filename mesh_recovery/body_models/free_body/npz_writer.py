"""Byte-reproducible ``.npz`` / ``.npy`` writers.

``np.savez_compressed`` stamps each zip entry with the current time, so two
identical builds differ. These writers use a fixed timestamp, sorted keys and
fixed permissions, and store no pickles.
"""
import io
import zipfile
from pathlib import Path
from typing import Dict

import numpy as np

_EPOCH = (1980, 1, 1, 0, 0, 0)


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def write_npz(path: Path, arrays: Dict[str, np.ndarray]) -> Path:
    """Write ``arrays`` to a deflate-compressed ``.npz`` readable by ``np.load``.

    Args:
        path: Output file (parent directories are created).
        arrays: Name -> array (no object arrays).

    Returns:
        ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, 'w') as archive:
        for name in sorted(arrays):
            info = zipfile.ZipInfo(f'{name}.npy', date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, _npy_bytes(arrays[name]), compresslevel=9)
    return path


def write_npy(path: Path, array: np.ndarray) -> Path:
    """Write one array as ``.npy`` (no pickles). Returns ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_npy_bytes(array))
    return path
