"""Evaluation: error functions and mmengine metrics."""
from .functional import auc, h36m_action, mpjpe, pa_mpjpe, pck, pck_curve, per_joint_errors, pve
from .h36m_action_error import H36MActionError
from .joint_error import JointError
from .mpi_inf_3dhp_error import MPIINF3DHPError
from .pw3d_error import PW3DError

__all__ = [
    'H36MActionError', 'JointError', 'MPIINF3DHPError', 'PW3DError', 'auc', 'h36m_action', 'mpjpe',
    'pa_mpjpe', 'pck', 'pck_curve', 'per_joint_errors', 'pve'
]
