"""Canonical activity templates for the pose sampler, by SMPL joint name.

A template gives, for the joints it moves, the angles in degrees about the
joint's x, y and z axes, with the meaning and signs documented in
:mod:`mesh_recovery.synthetic.joint_limits` (joints left out stay at the rest
T-pose). Sided joints are written once in left-side terms: ``both`` applies
to the left joint and its mirror image to the right one; ``left``/``right``
pose one side each, the right side still written as the left-side pose it
mirrors (so ``right={'shoulder': {'y': -20}}`` swings the right arm forward,
exactly as ``left={'shoulder': {'y': -20}}`` swings the left one).

Asymmetric activities (walking, running, reaching) are drawn mirrored half of
the time by the sampler, so both phases and both arms occur.
"""
from typing import Dict, Mapping, Optional, Tuple

import numpy as np

from mesh_recovery.conventions import SMPL_24, flip_permutation

Angles = Tuple[float, float, float]
Template = Dict[str, Angles]
_Part = Mapping[str, Mapping[str, float]]

# Mirroring through x = 0 keeps rotations about x, negates those about y and z.
_MIRROR_SIGN = np.array([1.0, -1.0, -1.0])


def _angles(values: Mapping[str, float], mirrored: bool = False) -> Angles:
    unknown = set(values) - set('xyz')
    if unknown:
        raise ValueError(f'template axes {sorted(unknown)} unknown; expected x, y, z')
    angles = np.array([values.get(axis, 0.0) for axis in 'xyz'], dtype=float)
    if mirrored:
        angles = angles * _MIRROR_SIGN
    return tuple(float(a) for a in angles)


def _template(centre: Optional[_Part] = None, both: Optional[_Part] = None,
              left: Optional[_Part] = None, right: Optional[_Part] = None) -> Template:
    """Build a template from midline joints and left-side-style sided parts."""
    template = {name: _angles(values) for name, values in (centre or {}).items()}
    for part, values in {**(both or {}), **(left or {})}.items():
        template[f'left_{part}'] = _angles(values)
    for part, values in {**(both or {}), **(right or {})}.items():
        template[f'right_{part}'] = _angles(values, mirrored=True)
    unknown = sorted(set(template) - set(SMPL_24))
    if unknown:
        raise ValueError(f'template joints {unknown} are not SMPL joints {list(SMPL_24)}')
    return template


# Arms hanging slightly away from the body, elbows a little bent.
_ARMS_DOWN = {'shoulder': {'z': -80.0, 'y': -5.0}, 'elbow': {'y': -15.0}}

ACTIVITIES: Dict[str, Template] = {
    'standing': _template(both={**_ARMS_DOWN, 'hip': {'z': 3.0}}),
    # Left leg forward at heel strike, right leg pushing off; arms swing
    # opposite to the legs.
    'walking': _template(
        left={'hip': {'x': -25.0}, 'knee': {'x': 15.0}, 'ankle': {'x': -5.0},
              'shoulder': {'z': -80.0, 'y': 20.0}, 'elbow': {'y': -15.0}},
        right={'hip': {'x': 15.0}, 'knee': {'x': 25.0}, 'ankle': {'x': 15.0},
               'shoulder': {'z': -80.0, 'y': -20.0}, 'elbow': {'y': -25.0}}),
    'running': _template(
        centre={'pelvis': {'x': 10.0}, 'spine1': {'x': 5.0}},
        left={'hip': {'x': -55.0}, 'knee': {'x': 60.0}, 'ankle': {'x': -10.0},
              'shoulder': {'z': -70.0, 'y': 30.0}, 'elbow': {'y': -90.0}},
        right={'hip': {'x': 15.0}, 'knee': {'x': 95.0}, 'ankle': {'x': 30.0},
               'shoulder': {'z': -70.0, 'y': -40.0}, 'elbow': {'y': -90.0}}),
    # On a chair, hands resting on the thighs.
    'sitting': _template(
        centre={'spine1': {'x': 5.0}},
        both={'hip': {'x': -90.0, 'z': 8.0}, 'knee': {'x': 90.0},
              'shoulder': {'z': -70.0, 'y': -35.0}, 'elbow': {'y': -50.0}}),
    # Left arm reaching forward and up (to a shelf), trunk leaning and turning into it.
    'reaching': _template(
        centre={'spine1': {'x': 5.0}, 'spine2': {'y': -10.0}},
        left={'collar': {'z': 15.0, 'y': -10.0}, 'shoulder': {'z': 70.0, 'y': -60.0},
              'elbow': {'y': -5.0}},
        right=_ARMS_DOWN),
    # Deep squat: trunk forward, thighs near horizontal, hands in front.
    'crouching': _template(
        centre={'pelvis': {'x': 25.0}, 'spine1': {'x': 15.0}},
        both={'hip': {'x': -115.0, 'z': 15.0}, 'knee': {'x': 130.0}, 'ankle': {'x': -25.0},
              'shoulder': {'z': -60.0, 'y': -40.0}, 'elbow': {'y': -40.0}}),
    'arms_raised': _template(
        centre={'spine2': {'x': -5.0}},
        both={'collar': {'z': 20.0}, 'shoulder': {'z': 70.0}, 'elbow': {'y': -5.0}}),
}

ACTIVITY_NAMES: Tuple[str, ...] = tuple(ACTIVITIES)


def activity_template(name: str) -> np.ndarray:
    """Return an activity's angles as an array.

    Args:
        name: One of ``ACTIVITY_NAMES``.

    Returns:
        (24, 3) degrees about each joint's x, y, z axes, ``SMPL_24`` order.

    Raises:
        ValueError: Unknown activity (the message lists the known ones).
    """
    if name not in ACTIVITIES:
        raise ValueError(f'unknown activity {name!r}; expected one of {list(ACTIVITY_NAMES)}')
    template = np.zeros((len(SMPL_24), 3))
    for joint, angles in ACTIVITIES[name].items():
        template[SMPL_24.index(joint)] = angles
    return template


def mirror_euler(euler: np.ndarray) -> np.ndarray:
    """Return the mirror-image pose of per-joint x, y, z angles.

    Swaps left and right joints and negates the y and z angles (mirroring
    through the x = 0 plane). Left and right joints must share one Euler order,
    which :func:`resolve_limits` enforces.

    Args:
        euler: (..., 24, 3) angles in ``SMPL_24`` order.

    Returns:
        (..., 24, 3) the mirrored angles.
    """
    return euler[..., flip_permutation(SMPL_24), :] * _MIRROR_SIGN
