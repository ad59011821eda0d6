"""Datasets of SPIN / mmpose 0.x annotation files, their sampler and transforms."""
from . import transforms  # noqa: F401  (registers the transforms)
from .epoch_aware_sampler import EpochAwareSampler
from .mesh_3dpw_dataset import Mesh3DPWDataset
from .mesh_adversarial_dataset import MeshAdversarialDataset
from .mesh_base_dataset import MeshBaseDataset
from .mesh_h36m_dataset import MeshH36MDataset
from .mesh_mix_dataset import MeshMixDataset
from .mesh_mpi_inf_3dhp_dataset import MeshMPIINF3DHPDataset
from .mosh_dataset import MoshDataset
from .seeding import AUG_SEED_KEY, EpochIndex
from .spin_annotations import load_spin_annotations

__all__ = [
    'AUG_SEED_KEY', 'EpochAwareSampler', 'EpochIndex', 'Mesh3DPWDataset', 'MeshAdversarialDataset',
    'MeshBaseDataset', 'MeshH36MDataset', 'MeshMPIINF3DHPDataset', 'MeshMixDataset', 'MoshDataset',
    'load_spin_annotations'
]
