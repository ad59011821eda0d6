"""Built-in synthetic data: pose and shape samplers (the dataset writer builds on them)."""
from .activities import ACTIVITIES, ACTIVITY_NAMES, activity_template, mirror_euler
from .joint_limits import DEFAULT_JOINT_LIMITS, JointLimit, LimitArrays, resolve_limits
from .pose_sampler import PoseSample, PoseSampler, axis_angle_to_euler, euler_to_axis_angle
from .shape_sampler import ShapeSampler

__all__ = [
    'ACTIVITIES', 'ACTIVITY_NAMES', 'DEFAULT_JOINT_LIMITS', 'JointLimit', 'LimitArrays',
    'PoseSample', 'PoseSampler', 'ShapeSampler', 'activity_template', 'axis_angle_to_euler',
    'euler_to_axis_angle', 'mirror_euler', 'resolve_limits'
]
