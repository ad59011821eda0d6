"""Joint orders of the raw datasets, named so index maps follow from the names.

Joints are named after the SPIN-24 slot they fill in the annotation files
(``mesh_recovery.conventions.keypoints``); raw joints that SPIN's scripts do
not use are ``unused_<index>``. Index maps are ``joint_indices(names, order)``.
"""
from typing import Tuple

from mesh_recovery.conventions.keypoints import SPIN_24


def _raw_order(length: int, used: dict) -> Tuple[str, ...]:
    return tuple(used.get(i, f'unused_{i}') for i in range(length))


# Human3.6M's 32-joint mocap skeleton (D3_Positions_mono / D2_Positions 'Pose' rows).
# The 17 SPIN reads (nkolot/SPIN datasets/preprocess/h36m.py, h36m_idx) and the slots they fill.
H36M_32: Tuple[str, ...] = _raw_order(32, {
    11: 'pelvis_mpii', 6: 'left_hip', 7: 'left_knee', 8: 'left_ankle', 1: 'right_hip', 2: 'right_knee',
    3: 'right_ankle', 12: 'spine_h36m', 24: 'neck_lsp', 14: 'jaw_h36m', 15: 'head_h36m', 17: 'left_shoulder',
    18: 'left_elbow', 19: 'left_wrist', 25: 'right_shoulder', 26: 'right_elbow', 27: 'right_wrist'})

# MPI-INF-3DHP's 28 training joints (annot.mat annot2 / annot3). SPIN's mpi_inf_3dhp.py
# train_data picks 17 of them (joints17_idx); joint 4 is the pelvis, the root.
MPI_INF_3DHP_28: Tuple[str, ...] = _raw_order(28, {
    4: 'pelvis_mpii', 18: 'left_hip', 19: 'left_knee', 20: 'left_ankle', 23: 'right_hip', 24: 'right_knee',
    25: 'right_ankle', 3: 'spine_h36m', 5: 'neck_lsp', 6: 'jaw_h36m', 7: 'head_h36m', 9: 'left_shoulder',
    10: 'left_elbow', 11: 'left_wrist', 14: 'right_shoulder', 15: 'right_elbow', 16: 'right_wrist'})

# MPI-INF-3DHP's 17 test-set joints (annot_data.mat), all used by SPIN's test_data.
MPI_INF_3DHP_TEST_17: Tuple[str, ...] = (
    'head_h36m', 'neck_lsp', 'right_shoulder', 'right_elbow', 'right_wrist', 'left_shoulder', 'left_elbow',
    'left_wrist', 'right_hip', 'right_knee', 'right_ankle', 'left_hip', 'left_knee', 'left_ankle',
    'pelvis_mpii', 'spine_h36m', 'jaw_h36m')

# MPII's 16 joints (the stacked-hourglass train.h5 'part' order SPIN's mpii.py reads).
MPII_16: Tuple[str, ...] = (
    'right_ankle', 'right_knee', 'right_hip', 'left_hip', 'left_knee', 'left_ankle', 'pelvis_mpii',
    'thorax_mpii', 'neck_lsp', 'head_top', 'right_wrist', 'right_elbow', 'right_shoulder', 'left_shoulder',
    'left_elbow', 'left_wrist')

__all__ = ['H36M_32', 'MPI_INF_3DHP_28', 'MPI_INF_3DHP_TEST_17', 'MPII_16', 'SPIN_24']
