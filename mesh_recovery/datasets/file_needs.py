"""The files a dataset config reads, as its classes declare them (for the asset doctor).

Each dataset class of this package has a ``needed_files`` classmethod taking
its constructor arguments (see :class:`~mesh_recovery.utils.asset_needs.FileNeed`);
:func:`dataset_files` finds the class of a config and asks it, and passes
through mmengine's wrappers (``ConcatDataset``, ``RepeatDataset``, ...), which
declare nothing themselves but name their datasets under ``dataset`` / ``datasets``.
"""
from typing import Any, List, Optional

from mesh_recovery.registry import DATASETS
from mesh_recovery.utils.asset_needs import FileNeed, declared_files


def dataset_files(cfg: Any, default_type: Optional[str] = None) -> List[FileNeed]:
    """Files read by the dataset ``cfg`` (a config dict, a list of them, or a built dataset).

    Args:
        cfg: The ``dataset`` entry of a loader config (or a sub-dataset's).
        default_type: Type of a config without ``type``.

    Returns:
        The declared needs, in config order; nothing for a built dataset.

    Raises:
        KeyError: A ``type`` is not registered.
    """
    if isinstance(cfg, (list, tuple)):
        return [need for sub in cfg for need in dataset_files(sub, default_type)]
    if not hasattr(cfg, 'get') or 'type' not in cfg and default_type is None:
        return []  # a built dataset, or no config: nothing to declare
    needs = declared_files(DATASETS, cfg, default_type)
    kind = cfg.get('type', default_type)
    cls = kind if isinstance(kind, type) else DATASETS.get(kind)
    if getattr(cls, 'needed_files', None) is None:  # a wrapper of mmengine's
        needs += dataset_files(cfg.get('dataset')) + dataset_files(cfg.get('datasets'))
    return needs


__all__ = ['dataset_files']
