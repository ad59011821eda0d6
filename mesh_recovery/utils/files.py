"""One validation path for every file the tools read.

Each reader here turns what numpy, zipfile, pickle or torch raise on an empty,
truncated, foreign or hostile file (``EOFError``, ``BadZipFile``, ``KeyError: 101``,
``RecursionError``, ...) into a :class:`~mesh_recovery.utils.errors.BadFileError`
that names the file, says what was expected and how to get a good one.
"""
import os
import os.path as osp
import pickle
import struct
import zipfile
import zlib
from typing import Dict, Iterable, Optional, Tuple

import numpy as np

from .errors import BadFileError, MissingFileError

# What a broken or foreign file makes the standard readers raise (pickle raises
# KeyError/IndexError on a corrupt memo, struct.error on truncated opcodes).
DECODE_ERRORS: Tuple[type, ...] = (EOFError, OSError, ValueError, KeyError, IndexError, TypeError,
                                   AttributeError, RecursionError, MemoryError, struct.error, zlib.error,
                                   zipfile.BadZipFile, UnicodeDecodeError, pickle.UnpicklingError,
                                   NotImplementedError, RuntimeError, OverflowError)


class MissingKeysError(BadFileError, KeyError):
    """An archive lacks required keys (also a ``KeyError``, as callers of the readers expect)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ''


def require_file(path: str, what: str, hint: str = '') -> str:
    """Return ``path`` if it is a non-empty regular file.

    Args:
        path: The file.
        what: What it is, for the message (``'annotation file'``).
        hint: How to get a good one (appended to the message).

    Raises:
        MissingFileError: Nothing there (the message names the current directory
            for a relative path).
        BadFileError: A directory or an empty file.
    """
    path = os.fspath(path)
    suffix = f'; {hint}' if hint else ''
    if not osp.exists(path):
        where = '' if osp.isabs(path) else f' (relative to the current directory {os.getcwd()})'
        raise MissingFileError(f'{what} not found: {path}{where}{suffix}')
    if not osp.isfile(path):
        raise BadFileError(f'{what} {path} is a directory, expected a file{suffix}')
    if osp.getsize(path) == 0:
        raise BadFileError(f'{what} {path} is empty (0 bytes), probably an interrupted download or copy{suffix}')
    return path


def _is_zip(path: str) -> bool:
    with open(path, 'rb') as handle:
        return handle.read(4) == b'PK\x03\x04'


def short_reason(exc: BaseException) -> str:
    """One line saying why a reader failed (torch's weights-only errors carry pages of advice)."""
    if isinstance(exc, RecursionError):
        return 'nesting too deep (self-referential or hostile file)'
    text = str(exc)
    if 'WeightsUnpickler error:' in text:
        text = text.split('WeightsUnpickler error:', 1)[1].strip()
    line = text.strip().splitlines()[0] if text.strip() else ''
    line = line[:200] + ('...' if len(line) > 200 else '')
    return f'{type(exc).__name__}: {line}' if line else type(exc).__name__


def _lfs_pointer(path: str) -> bool:
    try:
        with open(path, 'rb') as handle:
            return handle.read(40).startswith(b'version https://git-lfs')
    except OSError:
        return False


def decode_error(path: str, what: str, expected: str, exc: BaseException, hint: str = '') -> BadFileError:
    """A :class:`BadFileError` for a file that could not be decoded."""
    suffix = f'; {hint}' if hint else ''
    if _lfs_pointer(path):
        return BadFileError(f'{what} {path} is a Git LFS pointer, not the file itself; run `git lfs pull` '
                            f'or download the file{suffix}')
    return BadFileError(f'{what} {path} cannot be read as {expected} ({short_reason(exc)}); the file is '
                        f'truncated, corrupt or of another format{suffix}')


def load_npz(path: str, what: str, keys: Optional[Iterable[str]] = None, required: Iterable[str] = (),
             hint: str = '') -> Dict[str, np.ndarray]:
    """Load arrays of an ``.npz`` archive, refusing pickled (object) arrays.

    Args:
        path: The file.
        what: What it is, for messages.
        keys: Keys to load (default all); absent ones are skipped.
        required: Keys that must be present.
        hint: How to get a good file.

    Returns:
        Key -> array.

    Raises:
        MissingFileError, BadFileError: See :func:`require_file`; not a zip
            archive, truncated, a missing required key, or an object array.
    """
    require_file(path, what, hint)
    if not _is_zip(path):
        kind = 'a single .npy array' if open(path, 'rb').read(6) == b'\x93NUMPY' else 'not a zip archive'
        raise BadFileError(f'{what} {path} is {kind}; expected an .npz archive (np.savez){"; " + hint if hint else ""}')
    try:
        with np.load(path, allow_pickle=False) as npz:
            present = list(npz.files)
            missing = [k for k in required if k not in present]
            if missing:
                raise MissingKeysError(f'{what} {path} lacks the required keys {missing}; it has {sorted(present)}'
                                   f'{"; " + hint if hint else ""}')
            out = {}
            for key in (present if keys is None else [k for k in keys if k in present]):
                out[key] = _read_member(npz, key, path, what, hint)
            return out
    except BadFileError:
        raise
    except DECODE_ERRORS as exc:
        raise decode_error(path, what, 'an .npz archive', exc, hint) from exc


def _read_member(npz, key: str, path: str, what: str, hint: str) -> np.ndarray:
    try:
        return npz[key]
    except ValueError as exc:
        if 'allow_pickle' in str(exc):
            raise BadFileError(f'{what} {path}: key {key!r} holds Python objects (a pickled object array), '
                               'which are not loaded because unpickling can run code; re-save it as a '
                               'numeric or string array') from exc
        raise decode_error(path, what, f'an .npz archive (key {key!r})', exc, hint) from exc


def load_npy(path: str, what: str, hint: str = '') -> np.ndarray:
    """Load one ``.npy`` array without pickles (errors as :func:`load_npz`)."""
    require_file(path, what, hint)
    with open(path, 'rb') as handle:
        magic = handle.read(6)
    if magic != b'\x93NUMPY':
        kind = 'an .npz archive' if magic[:4] == b'PK\x03\x04' else 'not a .npy file'
        suffix = f'; {hint}' if hint else ''
        raise BadFileError(f'{what} {path} is {kind}; expected a single .npy array (np.save){suffix}')
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as exc:
        if 'allow_pickle' in str(exc):
            raise BadFileError(f'{what} {path} holds Python objects (a pickled object array), which are not '
                               'loaded because unpickling can run code; re-save it as a numeric array') from exc
        raise decode_error(path, what, 'a .npy array', exc, hint) from exc
    except DECODE_ERRORS as exc:
        raise decode_error(path, what, 'a .npy array', exc, hint) from exc


def nonfinite_summary(array: np.ndarray, limit: int = 5) -> Tuple[int, list]:
    """``(count, first sample indices)`` of the rows of ``array`` holding NaN or infinity."""
    array = np.asarray(array)
    if array.dtype.kind not in 'fc' or array.size == 0:
        return 0, []
    bad = ~np.isfinite(array)
    rows = bad.reshape(bad.shape[0], -1).any(axis=1) if bad.ndim > 1 else bad
    index = np.flatnonzero(rows)
    return int(index.size), index[:limit].tolist()


def require_finite(array: np.ndarray, path: str, key: str, what: str = 'file') -> np.ndarray:
    """Return ``array`` if it holds no NaN or infinity, else raise naming file, key, count and rows.

    Raises:
        BadFileError: Listing the number of affected rows and the first indices.
    """
    count, first = nonfinite_summary(array)
    if count:
        raise BadFileError(f'{what} {path}: key {key!r} holds NaN or infinite values in {count} of '
                           f'{len(array)} rows (first indices {first}); fix or drop those rows')
    return array




def load_config(path: str):
    """Read an mmengine config file, naming it (and the line) when it cannot be used.

    Args:
        path: A ``.py`` config (``.json`` / ``.yaml`` as mmengine reads them).

    Returns:
        The ``mmengine.config.Config``.

    Raises:
        MissingFileError: The config (or a ``_base_`` it names) does not exist.
        BadFileError: Syntax error or an error while its code runs.
    """
    from mmengine.config import Config
    path = os.fspath(path)
    require_file(path, 'config file', 'configs are under configs/, e.g. configs/mesh/hmr/hmr_resnet_50.py')
    try:
        return Config.fromfile(path)
    except FileNotFoundError as exc:
        raise MissingFileError(f'config {path} refers to a file that does not exist: {exc.filename or exc} '
                               '(_base_ paths are relative to the config file)') from exc
    except SyntaxError as exc:
        raise BadFileError(f'config {path} has a syntax error at line {exc.lineno}: {exc.msg}'
                           + (f'\n    {exc.text.rstrip()}' if exc.text else '')) from exc
    except Exception as exc:  # the config's own code failed (NameError, ImportError, ...)
        raise BadFileError(f'config {path} cannot be loaded: {type(exc).__name__}: {exc}') from exc


__all__ = ['DECODE_ERRORS', 'MissingKeysError', 'require_file', 'short_reason', 'decode_error', 'load_npz',
           'load_npy', 'nonfinite_summary',
           'require_finite', 'load_config']
