"""Route every local checkpoint read of mmengine through :func:`read_checkpoint`.

mmengine 0.10.7 resumes (and loads ``init_cfg`` pretrained weights) with a bare
``torch.load``, whose ``weights_only`` default an environment variable
(``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1``) can switch off. Registering this loader
for local paths makes those reads weights-only too, with the same named errors
for empty, truncated or foreign files as the project's own loaders.
"""
from typing import Optional

from mmengine.runner.checkpoint import CheckpointLoader

from .checkpoint import read_checkpoint


def load_from_local_weights_only(filename: str, map_location: Optional[str] = None) -> dict:
    """mmengine checkpoint-loader scheme for local files (the ``load_from_`` name prefix is mmengine's)."""
    if filename.startswith('file://'):
        filename = filename[len('file://'):]
    return read_checkpoint(filename, map_location or 'cpu')


def register_weights_only_loader() -> None:
    """Replace mmengine's local-file loader (idempotent)."""
    CheckpointLoader.register_scheme(prefixes='', loader=load_from_local_weights_only, force=True)
