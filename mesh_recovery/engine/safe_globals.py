"""A narrow allow-list that lets mmengine checkpoints load with ``weights_only=True``.

torch >= 2.6 defaults ``torch.load`` to ``weights_only=True``, and mmengine 0.10.7
calls ``torch.load`` without that argument when it resumes. Its checkpoints then
fail to load, because the message hub pickles ``HistoryBuffer`` objects (numpy
arrays, numpy scalars, and the buffer's statistics methods referenced through
``getattr(HistoryBuffer, 'mean')``). Rather than switching weights-only loading
off, this module allows exactly those objects:

- ``mmengine.logging.history_buffer.HistoryBuffer`` (plain data, no code runs in
  its ``__setstate__`` beyond dict updates);
- numpy's array / scalar reconstructors and the numeric dtype classes that logged
  values use (object dtypes stay refused);
- ``getattr`` replaced by a function that only returns HistoryBuffer's four
  statistics methods and refuses anything else.

:func:`register_checkpoint_safe_globals` runs in
:func:`~mesh_recovery.engine.setup_checkpoint_loading` (called by
``read_checkpoint`` and ``MeshRunner``), not at import.
"""
import pickle
from typing import Any, Callable, List, Tuple, Union

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer

# Methods that HistoryBuffer stores in its state (see ``HistoryBuffer.__getstate__``).
HISTORY_BUFFER_METHODS = frozenset({'min', 'max', 'current', 'mean'})

# Numeric dtypes of logged values and history arrays. Object, string and void
# dtypes are deliberately absent: they could smuggle arbitrary objects.
_NUMPY_DTYPE_NAMES = ('Float16DType', 'Float32DType', 'Float64DType', 'Int8DType', 'Int16DType',
                      'Int32DType', 'Int64DType', 'UInt8DType', 'UInt16DType', 'UInt32DType',
                      'UInt64DType', 'BoolDType')


def history_buffer_getattr(obj: Any, name: str) -> Callable:
    """Stand-in for ``getattr`` during unpickling: HistoryBuffer statistics only.

    Args:
        obj: Must be the ``HistoryBuffer`` class.
        name: One of ``min``, ``max``, ``current``, ``mean``.

    Returns:
        The unbound method ``HistoryBuffer.<name>``.

    Raises:
        pickle.UnpicklingError: For any other object or attribute.
    """
    if obj is HistoryBuffer and name in HISTORY_BUFFER_METHODS:
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'refusing getattr({obj!r}, {name!r}) while loading a checkpoint: only '
        f'HistoryBuffer.{{{", ".join(sorted(HISTORY_BUFFER_METHODS))}}} are allowed')


def _numpy_reconstructors() -> List[Tuple[Callable, str]]:
    # Checkpoints written under numpy 1.x name ``numpy.core``; numpy 2 writes ``numpy._core``.
    try:
        from numpy._core import multiarray
    except ImportError:  # numpy < 2
        from numpy.core import multiarray
    entries = []
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        entries.append((multiarray._reconstruct, f'{module}._reconstruct'))
        entries.append((multiarray.scalar, f'{module}.scalar'))
    return entries


def checkpoint_safe_globals() -> List[Union[Callable, Tuple[Callable, str]]]:
    """Return the globals that mmengine checkpoints need, in ``add_safe_globals`` form."""
    dtype_classes = [getattr(np.dtypes, name) for name in _NUMPY_DTYPE_NAMES if hasattr(np.dtypes, name)]
    return [
        HistoryBuffer,
        np.ndarray,
        np.dtype,
        *dtype_classes,
        *_numpy_reconstructors(),
        # Python 2-protocol pickles (torch.save's default) spell builtins ``__builtin__``.
        (history_buffer_getattr, '__builtin__.getattr'),
        (history_buffer_getattr, 'builtins.getattr'),
    ]


def register_checkpoint_safe_globals() -> None:
    """Allow (only) the globals of mmengine checkpoints in ``torch.load(weights_only=True)``.

    Idempotent: torch keeps the allow-list in a set.
    """
    torch.serialization.add_safe_globals(checkpoint_safe_globals())
