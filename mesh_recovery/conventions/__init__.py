"""Named joint orders, index maps and flip permutations."""
from .keypoints import (COCO_17, H36M_17, H36M_REGRESSOR_17, JOINT_ERROR_14, JOINT_ORDERS, LSP_14,
                        MPI_INF_3DHP_17, PELVIS_ROOT, ROOT_JOINTS, SMPL_24, SMPL_PARENTS, SPIN_24,
                        flip_permutation, joint_indices, mirror_name, smpl_parents)

__all__ = [
    'COCO_17', 'H36M_17', 'H36M_REGRESSOR_17', 'JOINT_ERROR_14', 'JOINT_ORDERS', 'LSP_14',
    'MPI_INF_3DHP_17', 'PELVIS_ROOT', 'ROOT_JOINTS', 'SMPL_24', 'SMPL_PARENTS', 'SPIN_24',
    'flip_permutation', 'joint_indices', 'mirror_name', 'smpl_parents'
]
