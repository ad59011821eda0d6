"""What a dataset or metric class declares it reads, for the asset doctor.

A dataset class (in :mod:`mesh_recovery.datasets`), a metric class (in
:mod:`mesh_recovery.evaluation`) or a model part (the estimator, its body model,
head and backbone, in ``MODELS``) may define a classmethod
``needed_files(**constructor_arguments) -> List[FileNeed]``. The doctor
(:mod:`mesh_recovery.utils.asset_check`) finds the class of each config entry
in its registry and asks it, so a new dataset or metric is checked without
editing the doctor. :func:`declared_files` is that lookup.
"""
import os.path as osp
from dataclasses import dataclass
from typing import Any, List, Mapping, Optional, Tuple

# How the doctor checks a need (see asset_check.check_need).
CHECKS = ('file', 'folder', 'spin_npz', 'npy', 'body_model', 'body_model_file', 'joints_regressor',
          'mean_params')


@dataclass(frozen=True)
class FileNeed:
    """One file or folder a class reads.

    Attributes:
        kind: What it is, a key of ``asset_check.SOURCES`` (``annotation``,
            ``images``, ``smpl``, ``h36m_regressor``, ...): it picks the
            "get it from" line and the docs section of the doctor's report.
        path: The path the class will open.
        check: How to check it (one of ``CHECKS``): ``file`` exists,
            ``folder`` exists, ``spin_npz`` a SPIN annotation file holding
            ``keys`` (and ``protocol_keys``), ``npy`` a loadable array,
            ``body_model`` the model of ``gender`` in folder ``path``;
            ``body_model_file`` the neutral model at ``path`` (a folder or a
            file) loads with ``num_betas``; ``joints_regressor`` a (24, V)
            regressor whose V matches the body model checked before it;
            ``mean_params`` an HMR mean-parameters file.
        keys: ``spin_npz``: keys every file of this kind holds.
        protocol_keys: ``spin_npz``: keys the evaluation ``protocol`` reads.
        protocol: Name of the protocol, for messages (``'3DPW test'``).
        image_dir: ``spin_npz``: folder the ``imgname`` entries are relative
            to (a sample of them is looked for), or None.
        gender: ``body_model``: ``neutral``, ``male`` or ``female``.
        num_betas: ``body_model_file``: shape coefficients the layer reads.
        why: Who reads it and why, shown when it is missing.
    """
    kind: str
    path: str
    check: str = 'file'
    keys: Tuple[str, ...] = ()
    protocol_keys: Tuple[str, ...] = ()
    protocol: str = ''
    image_dir: Optional[str] = None
    gender: str = ''
    num_betas: int = 10
    why: str = ''

    def __post_init__(self):
        if self.check not in CHECKS:
            raise ValueError(f'FileNeed.check must be one of {CHECKS}, got {self.check!r} (for {self.path})')


def join_root(root: Optional[str], path: str) -> str:
    """``path`` under ``root`` unless it is absolute or there is no root (mmengine's ``data_root`` rule)."""
    path = str(path)
    return path if not root or osp.isabs(path) else osp.join(str(root), path)


def declared_files(registry: Any, cfg: Mapping, default_type: Optional[str] = None) -> List[FileNeed]:
    """The files the class of config ``cfg`` (``type`` looked up in ``registry``) declares.

    Args:
        registry: An mmengine registry (``DATASETS``, ``METRICS``).
        cfg: A config with ``type`` and the constructor arguments.
        default_type: Type used when ``cfg`` has none (``MeshMixDataset`` sub-configs).

    Returns:
        ``cls.needed_files(**arguments)``; empty when the class declares nothing.

    Raises:
        KeyError: The type is not registered (the message names it and the registry).
    """
    cfg = dict(cfg)
    kind = cfg.pop('type', default_type)
    cls = kind if isinstance(kind, type) else registry.get(kind) if kind is not None else None
    if cls is None:
        raise KeyError(f'{kind!r} is not a registered {registry.name} type; check the spelling of `type` '
                       'in the config (the registered names are the class names)')
    needed_files = getattr(cls, 'needed_files', None)
    return list(needed_files(**cfg)) if needed_files is not None else []


__all__ = ['CHECKS', 'FileNeed', 'join_root', 'declared_files']
