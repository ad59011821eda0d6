"""Random SMPL poses from activity templates within anatomical joint limits."""
from typing import Mapping, NamedTuple, Optional, Sequence, Tuple

import numpy as np
from scipy.spatial.transform import Rotation

from mesh_recovery.conventions import SMPL_24

from .activities import ACTIVITY_NAMES, activity_template, mirror_euler
from .joint_limits import AXES, JointLimit, LimitArrays, resolve_limits

NUM_JOINTS = len(SMPL_24)
_ROOT = 0
_HEADING_AXIS = AXES.index('Y')


class PoseSample(NamedTuple):
    """A batch of sampled poses.

    Attributes:
        pose: (N, 72) float32 SMPL axis-angle in radians, body frame, global
            orientation (with the heading) first.
        activity: (N,) int64 index into the sampler's ``activities``.
        mirrored: (N,) bool, True where the activity was drawn mirrored.
        heading_deg: (N,) float32 rotation about +y added to the root, degrees.
        euler: (N, 24, 3) float32 degrees about each joint's x, y, z axes (after
            clipping, before conversion), composed in the joint's Euler order.
    """
    pose: np.ndarray
    activity: np.ndarray
    mirrored: np.ndarray
    heading_deg: np.ndarray
    euler: np.ndarray


def euler_to_axis_angle(euler: np.ndarray, orders: Sequence[str]) -> np.ndarray:
    """Convert per-joint x, y, z angles to axis-angle.

    Args:
        euler: (N, J, 3) degrees about each joint's x, y, z axes.
        orders: J intrinsic Euler orders (e.g. ``'XZY'``).

    Returns:
        (N, J, 3) axis-angle in radians, float64.
    """
    num, num_joints = euler.shape[:2]
    rotvec = np.empty((num, num_joints, 3))
    # One scipy call per distinct order keeps the conversion vectorised.
    for order in sorted(set(orders)):
        joints = [j for j, o in enumerate(orders) if o == order]
        columns = [AXES.index(axis) for axis in order]
        angles = euler[:, joints][..., columns].reshape(-1, 3)
        rotvec[:, joints] = Rotation.from_euler(order, angles, degrees=True).as_rotvec().reshape(
            num, len(joints), 3)
    return rotvec


def axis_angle_to_euler(rotvec: np.ndarray, orders: Sequence[str]) -> np.ndarray:
    """Inverse of :func:`euler_to_axis_angle`.

    Unique where each joint's middle angle is inside (-90, 90) degrees and
    the others inside (-180, 180], which the joint limits guarantee.

    Args:
        rotvec: (N, J, 3) axis-angle in radians.
        orders: J intrinsic Euler orders.

    Returns:
        (N, J, 3) degrees about each joint's x, y, z axes, float64.
    """
    num, num_joints = rotvec.shape[:2]
    euler = np.empty((num, num_joints, 3))
    for order in sorted(set(orders)):
        joints = [j for j, o in enumerate(orders) if o == order]
        columns = [AXES.index(axis) for axis in order]
        angles = Rotation.from_rotvec(rotvec[:, joints].reshape(-1, 3)).as_euler(
            order, degrees=True).reshape(num, len(joints), 3)
        euler_joints = np.empty_like(angles)
        euler_joints[..., columns] = angles
        euler[:, joints] = euler_joints
    return euler


class PoseSampler:
    """Sample SMPL poses: activity template + Gaussian noise, clipped to limits.

    Per sample: an activity is drawn (by ``activity_weights``) and mirrored
    left/right with probability ``mirror_prob``; Gaussian noise of standard
    deviation ``noise_deg`` (times each joint's ``noise_scale``) is added to
    its per-joint x, y, z angles, which are clipped to the joint limits and
    converted to axis-angle. The root's tilt is clipped to its limits too and a
    heading drawn uniformly from ``heading_range_deg`` is added about +y.

    Args:
        activities: Names from ``ACTIVITY_NAMES`` to draw from; None for all.
        activity_weights: Relative frequency of each activity; None for equal.
        noise_deg: Standard deviation of the angle noise, degrees.
        heading_range_deg: (low, high) heading about +y, degrees.
        limits: Joint limits replacing the defaults of the joints they name
            (see :mod:`mesh_recovery.synthetic.joint_limits`).
        mirror_prob: Probability of drawing an activity's mirror image.

    Raises:
        ValueError: Unknown activity, bad weights, noise, range or limits.
    """

    def __init__(self,
                 activities: Optional[Sequence[str]] = None,
                 activity_weights: Optional[Sequence[float]] = None,
                 noise_deg: float = 10.0,
                 heading_range_deg: Tuple[float, float] = (-180.0, 180.0),
                 limits: Optional[Mapping[str, JointLimit]] = None,
                 mirror_prob: float = 0.5) -> None:
        self.activities: Tuple[str, ...] = tuple(
            ACTIVITY_NAMES if activities is None else activities)
        if not self.activities:
            raise ValueError(f'activities is empty; expected names from {list(ACTIVITY_NAMES)}')
        templates = np.stack([activity_template(name) for name in self.activities])
        self.activity_weights = self._check_weights(activity_weights)
        if not (np.isfinite(noise_deg) and noise_deg >= 0):
            raise ValueError(f'noise_deg is {noise_deg}; expected a finite value >= 0')
        low, high = (float(v) for v in heading_range_deg)
        if not (np.isfinite(low) and np.isfinite(high) and low <= high <= low + 360.0):
            raise ValueError(f'heading_range_deg is {heading_range_deg}; expected '
                             '(low, high) degrees with low <= high <= low + 360')
        if not 0.0 <= mirror_prob <= 1.0:
            raise ValueError(f'mirror_prob is {mirror_prob}; expected a probability in [0, 1]')
        self.noise_deg = float(noise_deg)
        self.heading_range_deg = (low, high)
        self.mirror_prob = float(mirror_prob)
        self.limits: LimitArrays = resolve_limits(limits)
        # (2, A, 24, 3): index 1 holds the mirror images.
        self._templates = np.stack([templates, mirror_euler(templates)])

    def _check_weights(self, weights: Optional[Sequence[float]]) -> np.ndarray:
        if weights is None:
            return np.full(len(self.activities), 1.0 / len(self.activities))
        weights = np.asarray(weights, dtype=float)
        if (weights.shape != (len(self.activities),) or not np.all(np.isfinite(weights))
                or np.any(weights < 0) or weights.sum() <= 0):
            raise ValueError(
                f'activity_weights is {weights.tolist()}; expected {len(self.activities)} '
                f'non-negative weights (one per activity in {list(self.activities)}) with a '
                'positive sum')
        return weights / weights.sum()

    def sample(self, num: int, rng: np.random.Generator) -> PoseSample:
        """Draw ``num`` poses; the same ``rng`` state gives the same poses.

        Args:
            num: Number of poses (>= 0).
            rng: Source of randomness, e.g. ``np.random.default_rng(seed)``.

        Returns:
            A :class:`PoseSample` with ``pose`` of shape (num, 72).
        """
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f'rng is a {type(rng).__name__}; expected a numpy.random.Generator '
                            '(np.random.default_rng(seed))')
        if int(num) != num or num < 0:
            raise ValueError(f'num is {num}; expected a non-negative integer')
        num = int(num)
        activity = rng.choice(len(self.activities), size=num, p=self.activity_weights)
        mirrored = rng.random(num) < self.mirror_prob
        noise = rng.standard_normal((num, NUM_JOINTS, 3))
        heading = rng.uniform(*self.heading_range_deg, size=num)

        template = self._templates[mirrored.astype(np.int64), activity]
        scale = self.noise_deg * self.limits.noise_scale
        euler = np.clip(template + noise * scale[None, :, None], self.limits.lower,
                        self.limits.upper)
        # The root's y limit is a placeholder: heading replaces its noise.
        euler[:, _ROOT, _HEADING_AXIS] = template[:, _ROOT, _HEADING_AXIS] + heading
        rotvec = euler_to_axis_angle(euler, self.limits.orders)
        return PoseSample(pose=rotvec.reshape(num, NUM_JOINTS * 3).astype(np.float32),
                          activity=activity.astype(np.int64), mirrored=mirrored,
                          heading_deg=heading.astype(np.float32),
                          euler=euler.astype(np.float32))

    def pose_to_euler(self, pose: np.ndarray) -> np.ndarray:
        """Convert SMPL axis-angle poses to this sampler's per-joint angles.

        Args:
            pose: (N, 72) axis-angle in radians.

        Returns:
            (N, 24, 3) float64 degrees about each joint's x, y, z axes.
        """
        pose = np.asarray(pose, dtype=np.float64)
        if pose.ndim != 2 or pose.shape[1] != NUM_JOINTS * 3:
            raise ValueError(f'pose has shape {pose.shape}; expected (N, {NUM_JOINTS * 3}) '
                             'SMPL axis-angle')
        return axis_angle_to_euler(pose.reshape(-1, NUM_JOINTS, 3), self.limits.orders)

    def joint_within_limits(self, pose: np.ndarray, tolerance_deg: float = 0.01) -> np.ndarray:
        """Check each joint of each pose against the limits (the root always passes).

        Args:
            pose: (N, 72) axis-angle in radians.
            tolerance_deg: Slack on every bound, degrees.

        Returns:
            (N, 24) bool.
        """
        euler = self.pose_to_euler(pose)
        inside = np.all((euler >= self.limits.lower - tolerance_deg)
                        & (euler <= self.limits.upper + tolerance_deg), axis=-1)
        inside[:, _ROOT] = True
        return inside

    def within_limits(self, pose: np.ndarray, tolerance_deg: float = 0.01) -> np.ndarray:
        """Return (N,) bool: True where every non-root joint is within its limits."""
        return self.joint_within_limits(pose, tolerance_deg).all(axis=1)
