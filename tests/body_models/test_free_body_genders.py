"""The free body model's male and female variants: same topology and regressors, their own shapes."""
from pathlib import Path

import numpy as np
import pytest
import torch

from mesh_recovery.body_models import SMPL

MODEL_DIR = Path(__file__).resolve().parents[2] / 'models' / 'free_body'
SHARED_KEYS = ('J_regressor', 'weights', 'kintree_table', 'f', 'posedirs')


@pytest.fixture(scope='module')
def models():
    arrays = {}
    for gender, name in (('neutral', 'body_model.npz'), ('male', 'body_model_male.npz'),
                         ('female', 'body_model_female.npz')):
        with np.load(MODEL_DIR / name) as data:
            arrays[gender] = dict(data)
    return arrays


def test_variants_share_topology_weights_and_regressor(models):
    for gender in ('male', 'female'):
        assert sorted(models[gender]) == sorted(models['neutral'])
        for key in SHARED_KEYS:
            np.testing.assert_array_equal(models[gender][key], models['neutral'][key], err_msg=f'{gender} {key}')
        assert models[gender]['v_template'].shape == models['neutral']['v_template'].shape == (13348, 3)
        assert models[gender]['shapedirs'].shape == (13348, 3, 10)


def test_variants_have_their_own_shapes(models):
    heights = {g: np.ptp(m['v_template'][:, 1]) for g, m in models.items()}
    assert heights['female'] + 0.05 < heights['neutral'] < heights['male'] - 0.05  # 1.60, 1.69, 1.78 m
    # Each template has its pelvis joint at the origin, as the neutral one.
    for model in models.values():
        pelvis = model['J_regressor'][0] @ model['v_template']
        assert np.abs(pelvis).max() < 1e-6


def test_directory_loads_all_three_and_gender_codes_pick_them():
    smpl = SMPL(str(MODEL_DIR), joints_regressor=str(MODEL_DIR / 'joints_regressor_spin24.npy'))
    assert set(smpl.genders) == {'neutral', 'male', 'female'}
    betas = torch.zeros(3, 10)
    pose = torch.zeros(3, 72)
    out = smpl(betas, pose, gender=torch.tensor([-1, 0, 1])).vertices
    for i, name in enumerate(('body_model.npz', 'body_model_male.npz', 'body_model_female.npz')):
        with np.load(MODEL_DIR / name) as data:
            np.testing.assert_allclose(out[i].numpy(), data['v_template'], atol=1e-5)


def test_h36m_regressor_is_the_spin24_rows_of_the_same_names():
    from mesh_recovery.conventions import H36M_REGRESSOR_17, SPIN_24, joint_indices
    h36m = np.load(MODEL_DIR / 'J_regressor_h36m.npy')
    spin = np.load(MODEL_DIR / 'joints_regressor_spin24.npy')
    assert h36m.shape == (17, 13348)
    np.testing.assert_array_equal(h36m, spin[joint_indices(H36M_REGRESSOR_17, SPIN_24)])
