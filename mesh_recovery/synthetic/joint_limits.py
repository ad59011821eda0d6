"""Per-joint anatomical limits of the SMPL pose, by joint name.

Each SMPL joint's rotation is relative to its parent, in the rest T-pose frame
(all joint frames aligned with the body frame: y up, the subject faces +z, the
subject's left at +x). A joint's rotation is written as three angles in degrees
about its own x, y and z axes, composed in the joint's intrinsic Euler
``order`` (``'XZY'`` means ``R = Rx(x) @ Rz(z) @ Ry(y)``, scipy's uppercase
convention).

Orders are chosen per joint so that the bone's own axis is the innermost
rotation (a pure twist) and the middle angle, where Euler angles lock, always
has a range well inside (-90, 90) degrees; the axis-angle -> Euler round trip
is then unique, which is what :meth:`PoseSampler.within_limits` relies on.

Sign conventions (left side; the right side is the mirror image, see
:func:`mirror_limit`):

- trunk, neck, head (bone along +y, ``'XZY'``): +x bends forward, +z bends to
  the subject's right (top towards -x), +y twists.
- hip, knee, ankle, foot (``'XZY'``): -x swings the thigh forward (hip
  flexion), +x swings the shin backward (knee flexion), +x points the toes
  down (plantar flexion); +z moves the left leg outwards (abduction).
- collar, shoulder, wrist, hand (bone along +x, ``'ZYX'``): +z raises the arm
  (from +x towards +y), -y swings it forward (towards +z), x twists it.
- elbow (``'YZX'``): -y flexes the left elbow (forearm towards +z with the arm
  in the T-pose).
- pelvis (the root, ``'YXZ'``): y is the heading, which the sampler draws
  from its own range; x tilts the trunk forward, z rolls it. The root is not
  checked by ``within_limits``.

Limits are box constraints on these angles; they keep samples plausible, they
do not model coupled ranges.
"""
from typing import Dict, Mapping, NamedTuple, Optional, Tuple

import numpy as np

from mesh_recovery.conventions import SMPL_24, mirror_name

Range = Tuple[float, float]

# The middle Euler angle must stay this far from +-90 degrees so that the
# decomposition back from axis-angle is unique and numerically stable.
MAX_MIDDLE_DEG = 88.0
AXES = 'XYZ'


class JointLimit(NamedTuple):
    """Limits of one joint's rotation relative to its parent.

    Attributes:
        order: Intrinsic Euler order, a permutation of ``'XYZ'``.
        x: (low, high) angle about the joint's x axis, degrees.
        y: (low, high) angle about the joint's y axis, degrees.
        z: (low, high) angle about the joint's z axis, degrees.
        noise_scale: Multiplier of the sampler's noise standard deviation for
            this joint (trunk joints add up along the chain, so they get less).
    """
    order: str
    x: Range
    y: Range
    z: Range
    noise_scale: float = 1.0


class LimitArrays(NamedTuple):
    """Limits of all 24 SMPL joints as arrays, in ``SMPL_24`` order.

    Attributes:
        orders: Intrinsic Euler order of each joint, length 24.
        lower: (24, 3) lower bounds about x, y, z, degrees.
        upper: (24, 3) upper bounds about x, y, z, degrees.
        noise_scale: (24,) noise multipliers.
    """
    orders: Tuple[str, ...]
    lower: np.ndarray
    upper: np.ndarray
    noise_scale: np.ndarray


def mirror_limit(limit: JointLimit) -> JointLimit:
    """Return the limits of the mirror-image joint (left <-> right).

    Mirroring through the x = 0 plane keeps rotations about x and negates
    rotations about y and z (the same rule as the SMPL pose flip), so the x
    range is kept and the y and z ranges are negated.
    """
    return limit._replace(y=(-limit.y[1], -limit.y[0]), z=(-limit.z[1], -limit.z[0]))


_TRUNK = 'XZY'
_LEG = 'XZY'
_ARM = 'ZYX'
_ELBOW = 'YZX'

# Joints on the body's midline.
_CENTRE: Dict[str, JointLimit] = {
    # The root's y range is a placeholder: the heading comes from the sampler.
    'pelvis': JointLimit('YXZ', x=(-15.0, 30.0), y=(-180.0, 180.0), z=(-10.0, 10.0),
                         noise_scale=0.3),
    'spine1': JointLimit(_TRUNK, x=(-25.0, 45.0), y=(-20.0, 20.0), z=(-20.0, 20.0),
                         noise_scale=0.5),
    'spine2': JointLimit(_TRUNK, x=(-15.0, 30.0), y=(-20.0, 20.0), z=(-15.0, 15.0),
                         noise_scale=0.5),
    'spine3': JointLimit(_TRUNK, x=(-10.0, 20.0), y=(-15.0, 15.0), z=(-10.0, 10.0),
                         noise_scale=0.5),
    'neck': JointLimit(_TRUNK, x=(-30.0, 40.0), y=(-40.0, 40.0), z=(-25.0, 25.0),
                       noise_scale=0.7),
    'head': JointLimit(_TRUNK, x=(-30.0, 30.0), y=(-40.0, 40.0), z=(-20.0, 20.0),
                       noise_scale=0.7),
}

# Left-side joints; the right side is derived by mirroring.
_LEFT: Dict[str, JointLimit] = {
    'left_hip': JointLimit(_LEG, x=(-120.0, 30.0), y=(-40.0, 40.0), z=(-25.0, 45.0)),
    'left_knee': JointLimit(_LEG, x=(0.0, 150.0), y=(-15.0, 15.0), z=(-5.0, 5.0)),
    'left_ankle': JointLimit(_LEG, x=(-25.0, 50.0), y=(-20.0, 20.0), z=(-15.0, 15.0)),
    'left_foot': JointLimit(_LEG, x=(-20.0, 20.0), y=(-5.0, 5.0), z=(-5.0, 5.0),
                            noise_scale=0.5),
    'left_collar': JointLimit(_ARM, x=(-10.0, 10.0), y=(-20.0, 15.0), z=(-10.0, 30.0),
                              noise_scale=0.5),
    'left_shoulder': JointLimit(_ARM, x=(-70.0, 70.0), y=(-85.0, 45.0), z=(-100.0, 110.0)),
    'left_elbow': JointLimit(_ELBOW, x=(-60.0, 60.0), y=(-150.0, 5.0), z=(-10.0, 10.0)),
    'left_wrist': JointLimit(_ARM, x=(-30.0, 30.0), y=(-25.0, 35.0), z=(-70.0, 70.0),
                             noise_scale=0.7),
    'left_hand': JointLimit(_ARM, x=(-10.0, 10.0), y=(-10.0, 10.0), z=(-15.0, 15.0),
                            noise_scale=0.5),
}

DEFAULT_JOINT_LIMITS: Dict[str, JointLimit] = {
    **_CENTRE,
    **_LEFT,
    **{mirror_name(name): mirror_limit(limit) for name, limit in _LEFT.items()},
}


def _check_limit(name: str, limit: JointLimit) -> None:
    """Raise ValueError if ``limit`` is not a usable limit for joint ``name``."""
    if not isinstance(limit, JointLimit):
        raise ValueError(f'limits[{name!r}] is a {type(limit).__name__}; expected a '
                         'mesh_recovery.synthetic.JointLimit(order, x, y, z)')
    if sorted(limit.order) != list(AXES):
        raise ValueError(f'limits[{name!r}].order is {limit.order!r}; expected a permutation '
                         "of 'XYZ' (a Tait-Bryan intrinsic order such as 'XZY')")
    for axis in 'xyz':
        low, high = getattr(limit, axis)
        if not (np.isfinite(low) and np.isfinite(high) and -180.0 <= low <= high <= 180.0):
            raise ValueError(f'limits[{name!r}].{axis} is {(low, high)}; expected finite '
                             'degrees with -180 <= low <= high <= 180')
    middle = limit.order[1].lower()
    low, high = getattr(limit, middle)
    if name != SMPL_24[0] and max(abs(low), abs(high)) > MAX_MIDDLE_DEG:
        raise ValueError(
            f'limits[{name!r}].{middle} is {(low, high)}, but {middle} is the middle axis of '
            f'order {limit.order!r}, where Euler angles lock at +-90 degrees; keep it within '
            f'+-{MAX_MIDDLE_DEG} or choose an order with another middle axis')
    if not (np.isfinite(limit.noise_scale) and limit.noise_scale >= 0):
        raise ValueError(f'limits[{name!r}].noise_scale is {limit.noise_scale}; expected >= 0')


def resolve_limits(overrides: Optional[Mapping[str, JointLimit]] = None) -> LimitArrays:
    """Merge ``overrides`` into the default table and return it as arrays.

    Args:
        overrides: Limits replacing the defaults of the joints they name
            (names from ``SMPL_24``); ``None`` keeps the defaults.

    Returns:
        The limits of all 24 joints in ``SMPL_24`` order.

    Raises:
        ValueError: An unknown joint name, a malformed limit, or left/right
            partners with different Euler orders (mirroring needs the same one).
    """
    table = dict(DEFAULT_JOINT_LIMITS)
    unknown = sorted(set(overrides or {}) - set(SMPL_24))
    if unknown:
        raise ValueError(f'limits name unknown joints {unknown}; expected names from '
                         f'mesh_recovery.conventions.SMPL_24: {list(SMPL_24)}')
    table.update(overrides or {})
    for name in SMPL_24:
        _check_limit(name, table[name])
        partner = mirror_name(name)
        if table[partner].order != table[name].order:
            raise ValueError(f'limits[{name!r}].order is {table[name].order!r} but '
                             f'limits[{partner!r}].order is {table[partner].order!r}; '
                             'mirror-image joints must share one Euler order')
    lower = np.array([[table[n].x[0], table[n].y[0], table[n].z[0]] for n in SMPL_24])
    upper = np.array([[table[n].x[1], table[n].y[1], table[n].z[1]] for n in SMPL_24])
    return LimitArrays(orders=tuple(table[n].order for n in SMPL_24), lower=lower,
                       upper=upper,
                       noise_scale=np.array([table[n].noise_scale for n in SMPL_24]))
