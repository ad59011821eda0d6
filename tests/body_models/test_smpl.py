"""SMPL layer behaviour: closed-form cases, input forms, genders, regressors, gradients."""
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from synthetic_smpl import SMALL_NUM_VERTICES as NUM_VERTICES
from synthetic_smpl import make_smpl_arrays, write_official_pickle

from mesh_recovery.body_models import SMPL
from mesh_recovery.geometry.rotation import axis_angle_to_matrix
from mesh_recovery.registry import MODELS


@pytest.fixture(scope='module')
def neutral(neutral_pkl):
    path, arrays = neutral_pkl
    return SMPL(path), arrays


def _random_inputs(batch, seed=0, dtype=torch.float32):
    gen = torch.Generator().manual_seed(seed)
    betas = torch.randn(batch, 10, generator=gen, dtype=dtype)
    pose = torch.randn(batch, 72, generator=gen, dtype=dtype) * 0.5
    return betas, pose


def test_rest_pose_gives_template_and_regressed_joints(neutral):
    model, arrays = neutral
    out = model(torch.zeros(2, 10), torch.zeros(2, 72))
    np.testing.assert_allclose(out.vertices[1].numpy(), arrays['v_template'], atol=1e-5)
    np.testing.assert_allclose(out.joints_smpl[0].numpy(), arrays['J_regressor'] @ arrays['v_template'], atol=1e-5)
    assert out.joints is not None and torch.equal(out.joints, out.joints_smpl)


def test_shape_blend_and_global_rotation_closed_form(neutral):
    model, arrays = neutral
    betas = torch.tensor([[0.5, -1.0, 2.0, 0.0, 0.3, 0.0, 0.0, -0.7, 0.1, 1.0]])
    angle = 0.7
    pose = torch.zeros(1, 72)
    pose[0, 1] = angle  # global rotation about y only: no pose-corrective terms
    out = model(betas, pose)
    shaped = arrays['v_template'] + arrays['shapedirs'] @ betas[0].double().numpy()
    root = (arrays['J_regressor'] @ shaped)[0]
    rot = np.array([[math.cos(angle), 0, math.sin(angle)], [0, 1, 0], [-math.sin(angle), 0, math.cos(angle)]])
    expected = (shaped - root) @ rot.T + root
    np.testing.assert_allclose(out.vertices[0].numpy(), expected, atol=2e-5)


def test_pose_input_forms_agree(neutral):
    model, _ = neutral
    betas, pose = _random_inputs(3)
    rotmats = axis_angle_to_matrix(pose.view(3, 24, 3))
    a, b, c = model(betas, pose), model(betas, pose.view(3, 24, 3)), model(betas, rotmats)
    for out in (b, c):
        torch.testing.assert_close(out.vertices, a.vertices, atol=1e-6, rtol=0)
        torch.testing.assert_close(out.joints_smpl, a.joints_smpl, atol=1e-6, rtol=0)
    with pytest.raises(ValueError, match=r'rotation matrices \(B, 24, 3, 3\).*got \(3, 70\)'):
        model(betas, pose[:, :70])
    with pytest.raises(ValueError, match=r'betas must have shape \(B, 10\)'):
        model(betas[:, :5], pose)


def test_translation_is_added_everywhere(neutral):
    model, _ = neutral
    betas, pose = _random_inputs(2)
    transl = torch.tensor([[1.0, -2.0, 3.0], [0.5, 0.0, -0.5]])
    a, b = model(betas, pose), model(betas, pose, transl=transl)
    torch.testing.assert_close(b.vertices, a.vertices + transl[:, None], atol=1e-6, rtol=0)
    torch.testing.assert_close(b.joints_smpl, a.joints_smpl + transl[:, None], atol=1e-6, rtol=0)


def test_joints_regressor_applied_and_checked(neutral_pkl, tmp_path):
    path, _ = neutral_pkl
    regressor = np.random.default_rng(0).random((14, NUM_VERTICES)).astype(np.float32)
    np.save(tmp_path / 'reg.npy', regressor)
    model = SMPL(path, joints_regressor=str(tmp_path / 'reg.npy'))
    betas, pose = _random_inputs(4)
    out = model(betas, pose, transl=torch.ones(4, 3))
    expected = torch.einsum('kv,bvc->bkc', torch.from_numpy(regressor), out.vertices - 1.0) + 1.0
    torch.testing.assert_close(out.joints, expected, atol=1e-4, rtol=1e-5)
    np.save(tmp_path / 'cmr.npy', np.ones((24, 6890), np.float32))
    with pytest.raises(ValueError, match=f'6890 vertices but the body model has {NUM_VERTICES}'):
        SMPL(path, joints_regressor=str(tmp_path / 'cmr.npy'))


def test_mixed_gender_batch_uses_each_samples_model(smpl_dir):
    root, _ = smpl_dir
    model = SMPL(str(root))
    assert model.genders == ('neutral', 'male', 'female')
    singles = {code: SMPL(str(root / f'SMPL_{name}.pkl')) for code, name in ((-1, 'NEUTRAL'), (0, 'MALE'),
                                                                               (1, 'FEMALE'))}
    gender = torch.tensor([-1, 0, 1, 0, -1, 1])
    betas, pose = _random_inputs(6)
    out = model(betas, pose, gender=gender)
    for i, code in enumerate(gender.tolist()):
        ref = singles[code](betas[i:i + 1], pose[i:i + 1])
        torch.testing.assert_close(out.vertices[i:i + 1], ref.vertices, atol=1e-6, rtol=0)
        torch.testing.assert_close(out.joints_smpl[i:i + 1], ref.joints_smpl, atol=1e-6, rtol=0)
    # The three models really differ (templates are offset along x).
    assert (out.vertices[1] - out.vertices[0]).abs().max() > 0.1


def test_gender_errors_name_the_missing_model(neutral_pkl, smpl_dir):
    path, _ = neutral_pkl
    betas, pose = _random_inputs(2)
    with pytest.raises(ValueError, match="gender 'male'.*SMPL_MALE.pkl"):
        SMPL(path)(betas, pose, gender=torch.tensor([-1, 0]))
    root, _ = smpl_dir
    neutral_only = SMPL(str(root), genders=('neutral', ))
    with pytest.raises(ValueError, match="gender 'female'.*SMPL_FEMALE.pkl"):
        neutral_only(betas, pose, gender=torch.tensor([1, 1]))
    with pytest.raises(ValueError, match=r'got \[2\]'):
        SMPL(str(root))(betas, pose, gender=torch.tensor([2, -1]))


def test_gradients_match_finite_differences(tmp_path):
    model = SMPL(write_official_pickle(tmp_path / 'm.pkl', make_smpl_arrays(40, seed=9)))
    betas, pose = _random_inputs(1, dtype=torch.float64)
    gen = torch.Generator().manual_seed(3)
    w_verts = torch.randn(4, 40, 3, generator=gen, dtype=torch.float64)
    w_joints = torch.randn(4, 24, 3, generator=gen, dtype=torch.float64)

    def projected(b, p):  # a few random projections keep the Jacobian small
        out = model(b, p)
        return torch.einsum('kvc,bvc->bk', w_verts, out.vertices) + torch.einsum(
            'kjc,bjc->bk', w_joints, out.joints_smpl)

    inputs = (betas.requires_grad_(), pose.requires_grad_())
    assert torch.autograd.gradcheck(projected, inputs, eps=1e-6, atol=1e-6, rtol=1e-5)
    with_grad = projected(betas, pose)
    with torch.no_grad():  # the no-grad skinning path must give the same values
        torch.testing.assert_close(projected(betas, pose), with_grad.detach(), atol=1e-12, rtol=0)


def test_dtype_follows_input_and_buffers_move(neutral):
    model, _ = neutral
    betas, pose = _random_inputs(2, dtype=torch.float64)
    out64 = model(betas, pose)
    out32 = model(betas.float(), pose.float())
    assert out64.vertices.dtype == torch.float64
    torch.testing.assert_close(out64.vertices.float(), out32.vertices, atol=1e-5, rtol=0)
    assert model.faces.dtype == torch.long and model.faces.shape == (2 * NUM_VERTICES, 3)
    assert model.num_vertices == NUM_VERTICES
    # Model data comes from the files, not from checkpoints.
    assert model.state_dict() == {}
    assert all(b.dtype == torch.float64 for n, b in model.double().named_buffers() if 'models.' in n)
    model.float()


def test_builds_from_registry_and_skips_pose_blend_for_zero_posedirs(tmp_path):
    arrays = make_smpl_arrays(50, seed=4)
    arrays['posedirs'][:] = 0.0
    model = MODELS.build(dict(type='SMPL', smpl_path=write_official_pickle(tmp_path / 'm.pkl', arrays)))
    assert isinstance(model, SMPL) and not model.models['neutral'].has_posedirs
    assert model.models['neutral'].posedirs is None and model.models['neutral'].shapedirs.shape == (50, 3, 10)


FREE_BODY = Path(__file__).resolve().parents[2] / 'models' / 'free_body'


@pytest.mark.skipif(not (FREE_BODY / 'body_model.npz').is_file(), reason='free body model not built')
def test_free_body_model_loads_through_the_same_loader():
    model = SMPL(str(FREE_BODY), joints_regressor=str(FREE_BODY / 'joints_regressor_spin24.npy'))
    # The folder holds the neutral model and its male and female variants (docs/body_models.md).
    assert model.model_paths == {'neutral': str(FREE_BODY / 'body_model.npz'),
                                 'male': str(FREE_BODY / 'body_model_male.npz'),
                                 'female': str(FREE_BODY / 'body_model_female.npz')}
    assert model.num_vertices == 13348 and not model.models['neutral'].has_posedirs
    template = np.load(FREE_BODY / 'body_model.npz')['v_template']
    out = model(torch.zeros(1, 10), torch.zeros(1, 72))
    np.testing.assert_allclose(out.vertices[0].numpy(), template, atol=1e-5)
    assert out.joints.shape == (1, 24, 3)
