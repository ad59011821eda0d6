"""Atomic file writes: readers see the old file or the new one, never a partial one."""
import os
import os.path as osp
import tempfile
from pathlib import Path
from typing import Union

# Suffix of the temporary files; a killed writer leaves ``.NAME.XXXXXXXX.tmp`` next to the target.
TMP_SUFFIX = '.tmp'


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(data: bytes, filepath: Union[str, Path]) -> None:
    """Write ``data`` to ``filepath`` through a temporary file renamed over it."""
    filepath = os.fspath(filepath)
    directory = osp.dirname(osp.abspath(filepath))
    os.makedirs(directory, exist_ok=True)
    fd, tmp_path = tempfile.mkstemp(prefix=f'.{osp.basename(filepath)}.', suffix=TMP_SUFFIX, dir=directory)
    try:
        # mkstemp creates the file 0600; give it what the user's umask gives a new file.
        os.chmod(tmp_path, 0o666 & ~_umask())
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_path, filepath)
    except BaseException:
        if osp.exists(tmp_path):
            os.remove(tmp_path)
        raise
