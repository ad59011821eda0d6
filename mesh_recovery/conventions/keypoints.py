"""Named joint orders and the index maps derived from them.

Every joint order is a tuple of names. Index maps between orders and
left/right flip permutations are computed from the names, never typed by hand,
so adding an order means writing its names only.

Naming rules: a joint that exists on both sides is ``left_<part>`` /
``right_<part>``. Joints that only one source annotates carry a suffix naming
that source where another source has a joint of the same part at a different
place (``neck_lsp`` vs SMPL's ``neck``, ``pelvis_mpii`` vs ``pelvis``,
``head_h36m`` vs ``head_top``).
"""
from typing import List, Sequence, Tuple

# The 24 joints of the SPIN / mmpose 0.x annotation files (``part`` and ``S``)
# and of ``joints_regressor_cmr.npy``.
SPIN_24: Tuple[str, ...] = (
    'right_ankle', 'right_knee', 'right_hip', 'left_hip', 'left_knee', 'left_ankle',
    'right_wrist', 'right_elbow', 'right_shoulder', 'left_shoulder', 'left_elbow', 'left_wrist',
    'neck_lsp', 'head_top', 'pelvis_mpii', 'thorax_mpii', 'spine_h36m', 'jaw_h36m', 'head_h36m',
    'nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear')

# The 24 joints of the SMPL kinematic tree (also the order of its 72 pose values).
SMPL_24: Tuple[str, ...] = (
    'pelvis', 'left_hip', 'right_hip', 'spine1', 'left_knee', 'right_knee', 'spine2',
    'left_ankle', 'right_ankle', 'spine3', 'left_foot', 'right_foot', 'neck',
    'left_collar', 'right_collar', 'head', 'left_shoulder', 'right_shoulder',
    'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist', 'left_hand', 'right_hand')

# Parent of each SMPL joint, by name (the root has none).
SMPL_PARENTS: Tuple[str, ...] = (
    '', 'pelvis', 'pelvis', 'pelvis', 'left_hip', 'right_hip', 'spine1', 'left_knee',
    'right_knee', 'spine2', 'left_ankle', 'right_ankle', 'spine3', 'spine3', 'spine3', 'neck',
    'left_collar', 'right_collar', 'left_shoulder', 'right_shoulder', 'left_elbow',
    'right_elbow', 'left_wrist', 'right_wrist')

# Human3.6M's 17-joint order (as used by mmpose's h36m datasets). Joints are
# named after the SPIN-24 slot each one fills in the annotation files (the
# Human3.6M thorax fills LSP's neck, its nose the jaw slot), so index maps
# between the two orders follow from the names.
H36M_17: Tuple[str, ...] = (
    'pelvis_mpii', 'right_hip', 'right_knee', 'right_ankle', 'left_hip', 'left_knee', 'left_ankle',
    'spine_h36m', 'neck_lsp', 'jaw_h36m', 'head_h36m', 'left_shoulder', 'left_elbow',
    'left_wrist', 'right_shoulder', 'right_elbow', 'right_wrist')

# The 17 rows of the Human3.6M joint regressor ``J_regressor_h36m.npy`` (17, 6890)
# as SPIN reads them (nkolot/SPIN constants.py ``H36M_TO_J17``, and the
# 17-joint order its h36m.py / mpi_inf_3dhp.py preprocessing writes): the left
# leg before the right one, unlike mmpose's ``H36M_17`` above. Names are the
# SPIN-24 slots each row fills, so ``joint_indices`` maps them to any order.
H36M_REGRESSOR_17: Tuple[str, ...] = (
    'pelvis_mpii', 'left_hip', 'left_knee', 'left_ankle', 'right_hip', 'right_knee', 'right_ankle',
    'spine_h36m', 'neck_lsp', 'jaw_h36m', 'head_h36m', 'left_shoulder', 'left_elbow',
    'left_wrist', 'right_shoulder', 'right_elbow', 'right_wrist')

# The 14 joints of the Leeds Sports Pose dataset.
LSP_14: Tuple[str, ...] = SPIN_24[:14]

# COCO's 17 keypoints.
COCO_17: Tuple[str, ...] = (
    'nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear', 'left_shoulder', 'right_shoulder',
    'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist', 'left_hip', 'right_hip',
    'left_knee', 'right_knee', 'left_ankle', 'right_ankle')

# The joints scored by ``joint_error`` (mmpose's 14: LSP's, with the Human3.6M
# head in place of LSP's head top).
JOINT_ERROR_14: Tuple[str, ...] = LSP_14[:13] + ('head_h36m',)

# The 17 joints of the MPI-INF-3DHP test protocol (SPIN's ``J24_TO_J17``: the
# slots its mpi_inf_3dhp.py test extraction fills, scored in this order).
MPI_INF_3DHP_17: Tuple[str, ...] = JOINT_ERROR_14 + ('pelvis_mpii', 'spine_h36m', 'jaw_h36m')

# The root of the MPI-INF-3DHP protocol (SPIN centres its test joints on the pelvis).
PELVIS_ROOT: Tuple[str, ...] = ('pelvis_mpii', )

# The joints whose midpoint is the root for 3D alignment (the mid-hip).
ROOT_JOINTS: Tuple[str, ...] = ('right_hip', 'left_hip')

JOINT_ORDERS = {
    'spin_24': SPIN_24,
    'smpl_24': SMPL_24,
    'h36m_17': H36M_17,
    'h36m_regressor_17': H36M_REGRESSOR_17,
    'mpi_inf_3dhp_17': MPI_INF_3DHP_17,
    'lsp_14': LSP_14,
    'coco_17': COCO_17,
}


def joint_indices(names: Sequence[str], order: Sequence[str]) -> List[int]:
    """Return the position in ``order`` of each joint in ``names``.

    Args:
        names: Joint names to look up.
        order: The joint order to index into (e.g. ``SPIN_24``).

    Returns:
        One index per name, so that ``joints[:, joint_indices(names, order)]``
        converts joints stored in ``order`` into the order ``names``.

    Raises:
        KeyError: A name is not in ``order``; the message lists the order.
    """
    position = {name: i for i, name in enumerate(order)}
    missing = [name for name in names if name not in position]
    if missing:
        raise KeyError(f'joints {missing} are not in the joint order {list(order)}')
    return [position[name] for name in names]


def mirror_name(name: str) -> str:
    """Return the name of the joint on the other side (``left_x`` <-> ``right_x``)."""
    for side, other in (('left_', 'right_'), ('right_', 'left_')):
        if name.startswith(side):
            return other + name[len(side):]
    return name


def flip_permutation(order: Sequence[str]) -> List[int]:
    """Return the permutation that swaps left and right joints of ``order``.

    ``flipped[:, flip_permutation(order)]`` puts each joint of a mirrored
    image back under its own name.

    Raises:
        KeyError: A joint's mirror image is missing from ``order``.
    """
    return joint_indices([mirror_name(name) for name in order], order)


def smpl_parents() -> List[int]:
    """Return the parent index of each SMPL joint (-1 for the root)."""
    return [-1] + joint_indices(SMPL_PARENTS[1:], SMPL_24)
