"""Datasets of SPIN / mmpose 0.x annotation files, their sampler and transforms."""
from . import transforms  # noqa: F401  (registers the transforms)
from .epoch_aware_sampler import EpochAwareSampler
from .mesh_adversarial_dataset import MeshAdversarialDataset
from .mesh_base_dataset import MeshBaseDataset
from .mesh_h36m_dataset import MeshH36MDataset
from .mesh_mix_dataset import MeshMixDataset
from .mosh_dataset import MoshDataset
from .seeding import AUG_SEED_KEY, EpochIndex
from .spin_annotations import load_spin_annotations

__all__ = [
    'AUG_SEED_KEY', 'EpochAwareSampler', 'EpochIndex', 'MeshAdversarialDataset', 'MeshBaseDataset',
    'MeshH36MDataset', 'MeshMixDataset', 'MoshDataset', 'load_spin_annotations'
]
