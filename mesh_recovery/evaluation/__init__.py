"""Evaluation: error functions and mmengine metrics."""
from .functional import mpjpe, pa_mpjpe, pve
from .joint_error import JointError

__all__ = ['JointError', 'mpjpe', 'pa_mpjpe', 'pve']
