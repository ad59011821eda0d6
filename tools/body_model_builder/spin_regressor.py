"""Assemble the free body model's (24, V) SPIN-24 joints regressor.

Placements (all rows convex combinations of vertices):
- ankles, knees, hips, wrists, elbows, shoulders: the SMPL joint of the same
  name (``J_regressor`` rows);
- ``neck_lsp``: SMPL ``neck``; ``pelvis_mpii``: SMPL ``pelvis``;
- ``thorax_mpii``: midway between the SMPL shoulders (upper sternum);
- ``spine_h36m``: midway between pelvis and thorax;
- ``head_top``: the crown (highest head vertices of the template);
- ``nose``, ears: small vertex groups fitted to anny's own COCO keypoints
  (``anny/data/keypoints/coco.pth``); eyes: eyelid vertices fitted to a point
  an eyeball radius in front of anny's eyeball centres;
- ``jaw_h36m``: midway between the nose and SMPL ``head`` (skull base),
  inside the lower face;
- ``head_h36m``: the head centre, half the crown and a quarter each ear.
"""
from typing import Dict

import numpy as np

from mesh_recovery.conventions import SMPL_24, SPIN_24

from .regressors import mix_rows

_FROM_SMPL = {name: name for name in SPIN_24 if name in SMPL_24}
_FROM_SMPL.update({'neck_lsp': 'neck', 'pelvis_mpii': 'pelvis'})
FACE_KEYPOINTS = ('nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear')


def build_spin24_regressor(joint_regressor: np.ndarray, face_rows: Dict[str, np.ndarray],
                           crown: np.ndarray) -> np.ndarray:
    """Build the SPIN-24 regressor from SMPL joint rows, face keypoints and the crown.

    Args:
        joint_regressor: (24, V) SMPL ``J_regressor``.
        face_rows: ``FACE_KEYPOINTS`` name -> (V,) row.
        crown: (V,) head-top row.

    Returns:
        (24, V) float64, SPIN-24 order, rows non-negative and summing to 1.
    """
    smpl = {name: joint_regressor[i] for i, name in enumerate(SMPL_24)}
    rows = {spin: smpl[name] for spin, name in _FROM_SMPL.items()}
    rows.update({name: face_rows[name] for name in FACE_KEYPOINTS})
    rows['head_top'] = crown
    rows['thorax_mpii'] = mix_rows([smpl['left_shoulder'], smpl['right_shoulder']], [0.5, 0.5])
    rows['spine_h36m'] = mix_rows([smpl['pelvis'], rows['thorax_mpii']], [0.5, 0.5])
    rows['jaw_h36m'] = mix_rows([face_rows['nose'], smpl['head']], [0.5, 0.5])
    rows['head_h36m'] = mix_rows([crown, face_rows['left_ear'], face_rows['right_ear']],
                                 [0.5, 0.25, 0.25])
    regressor = np.stack([rows[name] for name in SPIN_24])
    return regressor / regressor.sum(axis=1, keepdims=True)


def h36m_regressor_from_spin24(spin_regressor: np.ndarray) -> np.ndarray:
    """The (17, V) Human3.6M regressor: the SPIN-24 rows of the same names, in ``H36M_REGRESSOR_17`` order.

    SPIN's SMPL file ``J_regressor_h36m.npy`` was fitted to Human3.6M's marker
    joints; the free body model has no such data, so its Human3.6M joints are the
    SPIN-24 placements above (each Human3.6M joint fills the SPIN-24 slot of its
    name), read in the row order SPIN reads ``J_regressor_h36m.npy`` in.
    """
    from mesh_recovery.conventions import H36M_REGRESSOR_17, joint_indices
    return np.ascontiguousarray(spin_regressor[joint_indices(H36M_REGRESSOR_17, SPIN_24)])
