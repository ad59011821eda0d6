"""A local file backend whose writes are atomic.

mmengine's ``LocalBackend.put`` truncates the destination and then writes it,
so a job killed mid-write leaves a corrupt checkpoint (and a ``last_checkpoint``
pointer to it). Writing to a temporary file in the same directory and renaming
it over the destination makes each checkpoint either the old or the new file.
Configs select it with ``CheckpointHook(backend_args=dict(backend='atomic_local'))``.
"""
from pathlib import Path
from typing import Union

from mmengine.fileio import LocalBackend, register_backend

from mesh_recovery.utils.atomic import atomic_write_bytes


class AtomicLocalBackend(LocalBackend):
    """``LocalBackend`` with atomic ``put`` and ``put_text``."""

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        atomic_write_bytes(obj, filepath)

    def put_text(self, obj: str, filepath: Union[str, Path], encoding: str = 'utf-8') -> None:
        atomic_write_bytes(obj.encode(encoding), filepath)


register_backend('atomic_local', AtomicLocalBackend, force=True)
