from pathlib import Path

import pytest

from mesh_recovery.conventions import (COCO_17, H36M_17, JOINT_ERROR_14, JOINT_ORDERS, ROOT_JOINTS,
                                       SMPL_24, SPIN_24, flip_permutation, joint_indices,
                                       smpl_parents)

REPO = Path(__file__).resolve().parents[2]


def test_smpl_pose_flip_permutation_matches_design():
    # docs/conventions.md (flipping): the permutation applied to SMPL pose joints when flipping.
    assert flip_permutation(SMPL_24) == [
        0, 2, 1, 3, 5, 4, 6, 8, 7, 9, 11, 10, 12, 14, 13, 15, 17, 16, 19, 18, 21, 20, 23, 22
    ]


def test_spin_flip_permutation_swaps_pairs():
    assert flip_permutation(SPIN_24) == [
        5, 4, 3, 2, 1, 0, 11, 10, 9, 8, 7, 6, 12, 13, 14, 15, 16, 17, 18, 19, 21, 20, 23, 22
    ]


@pytest.mark.parametrize('name', sorted(JOINT_ORDERS))
def test_flip_is_an_involution(name):
    order = JOINT_ORDERS[name]
    perm = flip_permutation(order)
    assert sorted(perm) == list(range(len(order)))
    assert [perm[i] for i in perm] == list(range(len(order)))


def test_joint_error_subset_is_design_14():
    assert joint_indices(JOINT_ERROR_14, SPIN_24) == list(range(13)) + [18]
    assert joint_indices(ROOT_JOINTS, JOINT_ERROR_14) == [2, 3]


def test_smpl_parents_are_the_smpl_tree():
    assert smpl_parents() == [
        -1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 20, 21
    ]


def test_index_map_between_orders():
    assert joint_indices(['left_shoulder', 'right_hip'], COCO_17) == [5, 12]
    assert joint_indices(H36M_17, SPIN_24) == [14, 2, 1, 0, 3, 4, 5, 16, 12, 17, 18, 9, 10, 11, 8, 7, 6]


def test_unknown_joint_names_the_order():
    with pytest.raises(KeyError, match='tail'):
        joint_indices(['tail'], SMPL_24)


def test_h36m_names_match_the_slots_filled_in_real_annotation_files():
    import numpy as np
    fixture = REPO.parent / 'shared' / 'fixtures' / 'mmpose_v0.29' / 'h36m' / 'test_h36m.npz'
    if not fixture.is_file():
        pytest.skip(f'real fixture absent: {fixture}')
    filled = np.flatnonzero(np.load(fixture)['S'][0, :, 3] > 0)
    assert sorted(joint_indices(H36M_17, SPIN_24)) == filled.tolist()


def test_h36m_regressor_and_3dhp_orders_reproduce_spin_index_maps():
    from mesh_recovery.conventions import H36M_REGRESSOR_17, MPI_INF_3DHP_17
    # nkolot/SPIN constants.py: H36M_TO_J17 (regressor rows scored on MPI-INF-3DHP) and J24_TO_J17;
    # datasets/preprocess/mpi_inf_3dhp.py: the SPIN-24 slots its 17 test joints are written to.
    assert joint_indices(MPI_INF_3DHP_17, H36M_REGRESSOR_17) == [6, 5, 4, 1, 2, 3, 16, 15, 14, 11, 12, 13, 8,
                                                                  10, 0, 7, 9]
    assert joint_indices(MPI_INF_3DHP_17, SPIN_24) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 18, 14, 16, 17]
    assert joint_indices(H36M_REGRESSOR_17, SPIN_24) == [14, 3, 4, 5, 2, 1, 0, 16, 12, 17, 18, 9, 10, 11, 8,
                                                         7, 6]
    assert joint_indices(JOINT_ERROR_14, H36M_REGRESSOR_17) == [6, 5, 4, 1, 2, 3, 16, 15, 14, 11, 12, 13, 8, 10]
