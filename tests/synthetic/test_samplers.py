"""Pose and shape samplers: limits, reproducibility, and the anatomy of each activity.

The anatomical checks pose a stick skeleton with approximate SMPL T-pose joint
positions (y up, facing +z, subject's left at +x, metres) by forward kinematics.
"""
import numpy as np
import pytest
from scipy import stats
from scipy.spatial.transform import Rotation

from mesh_recovery.conventions import SMPL_24, smpl_parents
from mesh_recovery.synthetic import (ACTIVITY_NAMES, DEFAULT_JOINT_LIMITS, JointLimit,
                                     PoseSampler, ShapeSampler, activity_template,
                                     resolve_limits)

# Approximate rest (T-pose) joint positions, metres, pelvis at the origin.
_LEFT_REST = {
    'hip': (0.09, -0.08, 0.0), 'knee': (0.10, -0.45, 0.0), 'ankle': (0.10, -0.85, -0.03),
    'foot': (0.12, -0.91, 0.10), 'collar': (0.07, 0.40, 0.0), 'shoulder': (0.17, 0.42, 0.0),
    'elbow': (0.42, 0.42, 0.0), 'wrist': (0.67, 0.42, 0.0), 'hand': (0.75, 0.42, 0.0)
}
_CENTRE_REST = {
    'pelvis': (0.0, 0.0, 0.0), 'spine1': (0.0, 0.10, 0.0), 'spine2': (0.0, 0.23, 0.0),
    'spine3': (0.0, 0.29, 0.0), 'neck': (0.0, 0.50, 0.0), 'head': (0.0, 0.58, 0.02)
}


def _rest_joints() -> np.ndarray:
    rest = dict(_CENTRE_REST)
    for part, (x, y, z) in _LEFT_REST.items():
        rest[f'left_{part}'] = (x, y, z)
        rest[f'right_{part}'] = (-x, y, z)
    return np.array([rest[name] for name in SMPL_24])


REST = _rest_joints()
J = {name: i for i, name in enumerate(SMPL_24)}


def forward_kinematics(pose: np.ndarray) -> np.ndarray:
    """Pose the stick skeleton: (N, 72) axis-angle -> (N, 24, 3) joint positions."""
    num = pose.shape[0]
    local = Rotation.from_rotvec(pose.reshape(-1, 3).astype(np.float64)).as_matrix()
    local = local.reshape(num, 24, 3, 3)
    parents = smpl_parents()
    world = np.empty_like(local)
    joints = np.zeros((num, 24, 3))
    world[:, 0] = local[:, 0]
    for j in range(1, 24):
        p = parents[j]
        world[:, j] = world[:, p] @ local[:, j]
        joints[:, j] = joints[:, p] + world[:, p] @ (REST[j] - REST[p])
    return joints


def _single(joint: str, axis: str, degrees: float) -> np.ndarray:
    pose = np.zeros((1, 72))
    pose[0, 3 * J[joint]:3 * J[joint] + 3] = Rotation.from_euler(axis, degrees,
                                                                 degrees=True).as_rotvec()
    return pose


def _bone(joints: np.ndarray, start: str, end: str) -> np.ndarray:
    return joints[:, J[end]] - joints[:, J[start]]


# --- sign conventions of the limits table, checked by forward kinematics ---


@pytest.mark.parametrize('side', ['left', 'right'])
def test_knee_flexion_is_positive_x_and_hip_flexion_negative_x(side):
    shin = _bone(forward_kinematics(_single(f'{side}_knee', 'x', 90)), f'{side}_knee',
                 f'{side}_ankle')[0]
    assert shin[2] < -0.35 and abs(shin[1]) < 0.05  # swung straight back
    thigh = _bone(forward_kinematics(_single(f'{side}_hip', 'x', -90)), f'{side}_hip',
                  f'{side}_knee')[0]
    assert thigh[2] > 0.3 and abs(thigh[1]) < 0.05  # swung straight forward


def test_shoulder_lowering_and_elbow_flexion_signs():
    left_arm = _bone(forward_kinematics(_single('left_shoulder', 'z', -90)), 'left_shoulder',
                     'left_elbow')[0]
    right_arm = _bone(forward_kinematics(_single('right_shoulder', 'z', 90)), 'right_shoulder',
                      'right_elbow')[0]
    assert left_arm[1] < -0.24 and right_arm[1] < -0.24  # both hang down
    left_forearm = _bone(forward_kinematics(_single('left_elbow', 'y', -90)), 'left_elbow',
                         'left_wrist')[0]
    right_forearm = _bone(forward_kinematics(_single('right_elbow', 'y', 90)), 'right_elbow',
                          'right_wrist')[0]
    assert left_forearm[2] > 0.24 and right_forearm[2] > 0.24  # both forward


def test_trunk_flexion_is_positive_x_and_plantar_flexion_positive_x():
    joints = forward_kinematics(_single('spine1', 'x', 30))
    assert _bone(joints, 'pelvis', 'neck')[0, 2] > 0.15
    foot = _bone(forward_kinematics(_single('left_ankle', 'x', 40)), 'left_ankle',
                 'left_foot')[0]
    assert foot[1] < -0.08  # toes pointed down


def test_default_limits_cover_every_joint_and_mirror():
    limits = resolve_limits()
    assert set(DEFAULT_JOINT_LIMITS) == set(SMPL_24)
    left = [J[n] for n in SMPL_24 if n.startswith('left_')]
    right = [J['right_' + n[len('left_'):]] for n in SMPL_24 if n.startswith('left_')]
    np.testing.assert_array_equal(limits.lower[right, 0], limits.lower[left, 0])
    np.testing.assert_array_equal(limits.lower[right, 1:], -limits.upper[left, 1:])
    # Hands, feet and collars have small ranges; knees bend one way only.
    for name in ('left_hand', 'right_foot', 'left_collar'):
        assert np.all(limits.upper[J[name]] - limits.lower[J[name]] <= 40)
    assert limits.lower[J['left_knee'], 0] == 0 and limits.lower[J['right_knee'], 0] == 0


# --- sampler ---


def _sampler(**kwargs) -> PoseSampler:
    return PoseSampler(**kwargs)


def test_same_seed_same_poses_different_seed_different():
    sampler = _sampler()
    a = sampler.sample(500, np.random.default_rng(7))
    b = sampler.sample(500, np.random.default_rng(7))
    c = sampler.sample(500, np.random.default_rng(8))
    for field in a._fields:
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert a.pose.dtype == np.float32 and a.pose.shape == (500, 72)
    assert np.abs(a.pose - c.pose).max() > 0.5
    assert not np.array_equal(a.activity, c.activity)


def test_ten_thousand_poses_are_within_limits():
    sampler = _sampler(noise_deg=25.0)  # large noise: many angles hit the bounds
    sample = sampler.sample(10_000, np.random.default_rng(0))
    assert sampler.within_limits(sample.pose).all()
    euler = sampler.pose_to_euler(sample.pose)
    np.testing.assert_allclose(euler[:, 1:], sample.euler[:, 1:], atol=1e-3)
    at_bound = np.isclose(sample.euler[:, 1:], sampler.limits.lower[1:]) | np.isclose(
        sample.euler[:, 1:], sampler.limits.upper[1:])
    assert at_bound.mean() > 0.05  # the clipping was exercised
    assert set(np.unique(sample.activity)) == set(range(len(ACTIVITY_NAMES)))


def test_within_limits_rejects_violations_and_ignores_root():
    sampler = _sampler()
    pose = np.zeros((3, 72))
    pose[0, 3 * J['left_knee']] = np.deg2rad(-30)  # hyperextended knee
    pose[1, 3 * J['right_elbow'] + 1] = np.deg2rad(-40)  # right elbow bent backwards
    pose[2, :3] = [2.0, 1.0, -0.5]  # any root rotation is accepted
    np.testing.assert_array_equal(sampler.within_limits(pose), [False, False, True])
    per_joint = sampler.joint_within_limits(pose)
    assert np.flatnonzero(~per_joint[0]).tolist() == [J['left_knee']]
    assert np.flatnonzero(~per_joint[1]).tolist() == [J['right_elbow']]


@pytest.mark.parametrize('name', ACTIVITY_NAMES)
def test_templates_are_inside_the_default_limits(name):
    limits = resolve_limits()
    template = activity_template(name)[1:]
    assert np.all(template >= limits.lower[1:]) and np.all(template <= limits.upper[1:])


def _activity_joints(name: str, noise_deg: float, num: int, mirror_prob: float = 0.0):
    sampler = _sampler(activities=[name], noise_deg=noise_deg, heading_range_deg=(0.0, 0.0),
                       mirror_prob=mirror_prob)
    return forward_kinematics(sampler.sample(num, np.random.default_rng(1)).pose)


def _sitting(j):
    knees_front = np.minimum(_bone(j, 'left_hip', 'left_knee')[:, 2],
                             _bone(j, 'right_hip', 'right_knee')[:, 2]) > 0.2
    ankles_below = np.maximum(_bone(j, 'left_knee', 'left_ankle')[:, 1],
                              _bone(j, 'right_knee', 'right_ankle')[:, 1]) < -0.2
    return knees_front & ankles_below


def _arms_raised(j):
    head_y = j[:, J['head'], 1]
    return np.minimum(j[:, J['left_wrist'], 1], j[:, J['right_wrist'], 1]) > head_y + 0.1


def _walking(j):  # left foot in front (no mirroring)
    return j[:, J['left_ankle'], 2] - j[:, J['right_ankle'], 2] > 0.15


def _running(j):
    stride = j[:, J['left_ankle'], 2] - j[:, J['right_ankle'], 2] > 0.3
    elbows = np.minimum(_bone(j, 'left_elbow', 'left_wrist')[:, 2],
                        _bone(j, 'right_elbow', 'right_wrist')[:, 2]) > 0.05
    return stride & elbows


def _crouching(j):
    hip_to_ankle = j[:, J['left_hip'], 1] - j[:, J['left_ankle'], 1]
    knees_front = _bone(j, 'left_hip', 'left_knee')[:, 2] > 0.25
    return (hip_to_ankle < 0.45) & knees_front


def _reaching(j):  # left arm forward, not hanging (up in the template)
    reach = _bone(j, 'left_shoulder', 'left_wrist')
    return (reach[:, 2] > 0.3) & (reach[:, 1] > -0.05)


def _standing(j):
    legs_straight = np.minimum(-_bone(j, 'left_hip', 'left_ankle')[:, 1],
                               -_bone(j, 'right_hip', 'right_ankle')[:, 1]) > 0.65
    hands_down = np.maximum(_bone(j, 'left_shoulder', 'left_wrist')[:, 1],
                            _bone(j, 'right_shoulder', 'right_wrist')[:, 1]) < -0.2
    return legs_straight & hands_down


ACTIVITY_CHECKS = {
    'standing': _standing, 'walking': _walking, 'running': _running, 'sitting': _sitting,
    'reaching': _reaching, 'crouching': _crouching, 'arms_raised': _arms_raised
}


def test_every_activity_has_a_check():
    assert set(ACTIVITY_CHECKS) == set(ACTIVITY_NAMES)


@pytest.mark.parametrize('name', ACTIVITY_NAMES)
def test_activity_anatomy(name):
    check = ACTIVITY_CHECKS[name]
    assert check(_activity_joints(name, noise_deg=0.0, num=1)).all()
    # With the default noise the activity stays recognisable.
    assert check(_activity_joints(name, noise_deg=10.0, num=400)).mean() > 0.9
    # And the check is not vacuous: the rest T-pose fails it.
    assert not check(forward_kinematics(np.zeros((1, 72)))).any()


def test_mirrored_walking_puts_the_right_foot_forward():
    joints = _activity_joints('walking', noise_deg=0.0, num=1, mirror_prob=1.0)
    assert joints[0, J['right_ankle'], 2] - joints[0, J['left_ankle'], 2] > 0.15


def _heading_of_root(pose: np.ndarray) -> np.ndarray:
    forward = Rotation.from_rotvec(pose[:, :3].astype(np.float64)).apply([0.0, 0.0, 1.0])
    return np.rad2deg(np.arctan2(forward[:, 0], forward[:, 2]))


def test_heading_rotates_about_y_only_and_covers_the_range():
    sampler = _sampler(activities=['standing'], noise_deg=0.0)
    sample = sampler.sample(6000, np.random.default_rng(3))
    joints = forward_kinematics(sample.pose)
    up = _bone(joints, 'pelvis', 'neck')
    np.testing.assert_allclose(up / np.linalg.norm(up, axis=1, keepdims=True),
                               np.tile([0.0, 1.0, 0.0], (6000, 1)), atol=1e-5)
    heading = _heading_of_root(sample.pose)
    diff = (heading - sample.heading_deg + 180.0) % 360.0 - 180.0
    np.testing.assert_allclose(diff, 0.0, atol=1e-3)
    counts, _ = np.histogram(sample.heading_deg, bins=12, range=(-180, 180))
    assert counts.min() > 0.8 * 500 and counts.max() < 1.2 * 500
    assert sample.heading_deg.min() < -179 and sample.heading_deg.max() > 179


def test_heading_range_is_respected_and_noise_keeps_the_body_upright():
    sampler = _sampler(activities=['standing', 'walking'], heading_range_deg=(-30.0, 45.0))
    sample = sampler.sample(3000, np.random.default_rng(4))
    assert sample.heading_deg.min() >= -30 and sample.heading_deg.max() <= 45
    assert sample.heading_deg.max() - sample.heading_deg.min() > 70
    up = _bone(forward_kinematics(sample.pose), 'pelvis', 'neck')
    tilt = np.degrees(np.arccos(up[:, 1] / np.linalg.norm(up, axis=1)))
    assert np.percentile(tilt, 99) < 30.0


def test_activity_weights_select_activities():
    sampler = _sampler(activities=['sitting', 'running'], activity_weights=[3.0, 1.0])
    activity = sampler.sample(4000, np.random.default_rng(5)).activity
    assert sampler.activities == ('sitting', 'running')
    assert abs((activity == 0).mean() - 0.75) < 0.03
    only = _sampler(activities=['sitting', 'running'], activity_weights=[0.0, 1.0])
    assert (only.sample(100, np.random.default_rng(5)).activity == 1).all()


def test_custom_limits_are_applied():
    tight = JointLimit('XZY', x=(0.0, 10.0), y=(-1.0, 1.0), z=(-1.0, 1.0))
    sampler = _sampler(limits={'left_knee': tight, 'right_knee': tight}, noise_deg=20.0)
    sample = sampler.sample(2000, np.random.default_rng(6))
    knee = sample.euler[:, J['left_knee']]
    assert knee[:, 0].max() <= 10.0 and knee[:, 0].max() > 9.9
    assert sampler.within_limits(sample.pose).all()
    assert PoseSampler().within_limits(sample.pose).all()  # the defaults are wider
    assert not sampler.within_limits(PoseSampler().sample(200, np.random.default_rng(6)).pose).all()


@pytest.mark.parametrize('kwargs, message', [
    (dict(activities=['dancing']), 'unknown activity'),
    (dict(activity_weights=[1.0]), 'activity_weights'),
    (dict(noise_deg=-1.0), 'noise_deg'),
    (dict(heading_range_deg=(10.0, -10.0)), 'heading_range_deg'),
    (dict(limits={'left_toe': DEFAULT_JOINT_LIMITS['left_foot']}), 'unknown joints'),
    (dict(limits={'neck': JointLimit('XYZ', (-10, 10), (-90, 90), (0, 0))}), 'middle axis'),
    (dict(limits={'neck': JointLimit('XXZ', (0, 0), (0, 0), (0, 0))}), 'permutation'),
    (dict(limits={'left_hip': JointLimit('ZYX', (0, 0), (0, 0), (0, 0))}), 'mirror-image'),
])
def test_bad_arguments_are_reported(kwargs, message):
    with pytest.raises(ValueError, match=message):
        PoseSampler(**kwargs)


# --- shape sampler ---


def test_shape_sampler_std_clip_and_reproducibility():
    sampler = ShapeSampler(num_betas=10, std=0.8, clip=2.5)
    betas = sampler.sample(50_000, np.random.default_rng(0))
    assert betas.shape == (50_000, 10) and betas.dtype == np.float32
    np.testing.assert_array_equal(betas[:100], sampler.sample(100, np.random.default_rng(0)))
    assert not np.array_equal(betas[:100], sampler.sample(100, np.random.default_rng(1)))
    bound = np.float32(2.5 * 0.8)
    assert np.abs(betas).max() == bound
    tail = 2 * stats.norm.sf(2.5)
    assert abs(np.mean(np.abs(betas) == bound) - tail) < 0.002
    clipped_var = (1 - tail) - 2 * 2.5 * stats.norm.pdf(2.5) + 2.5**2 * tail
    np.testing.assert_allclose(betas.std(axis=0), 0.8 * np.sqrt(clipped_var), rtol=0.02)
    np.testing.assert_allclose(betas.mean(axis=0), 0.0, atol=0.02)


@pytest.mark.parametrize('kwargs', [dict(num_betas=0), dict(std=0.0), dict(clip=-1.0)])
def test_shape_sampler_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        ShapeSampler(**kwargs)
