"""Evaluation: error functions and mmengine metrics."""
from .finite_guard import FiniteGuard
from .functional import mpjpe, pa_mpjpe, pve
from .joint_error import JointError

__all__ = ['FiniteGuard', 'JointError', 'mpjpe', 'pa_mpjpe', 'pve']
