"""Oracle: our SMPL layer against smplx on the same synthetic official-layout model.

smplx reads the source arrays directly (``data_struct=``, J_regressor as the same
csc matrix), while our layer reads the pickle through the restricted loader, so
both the loader and the LBS are checked. smplx appends joints at SMPL vertex ids;
they are remapped into range for the small mesh and only its first 24 joints
(the kinematic ones) are compared.
"""
import numpy as np
import pytest
import torch
from scipy import sparse
from scipy.spatial.transform import Rotation
from synthetic_smpl import make_smpl_arrays, write_official_pickle

from mesh_recovery.body_models import SMPL

smplx = pytest.importorskip('smplx')

NUM_VERTICES = 800
TOL = 1e-5


def _smplx_layer(arrays, layer: bool, dtype=torch.float32):
    from smplx.utils import Struct
    from smplx.vertex_ids import vertex_ids
    struct = Struct(**dict(arrays, J_regressor=sparse.csc_matrix(arrays['J_regressor'])))
    ids = {k: int(v) % NUM_VERTICES for k, v in vertex_ids['smplh'].items()}
    cls = smplx.SMPLLayer if layer else smplx.SMPL
    return cls(model_path='', data_struct=struct, vertex_ids=ids, dtype=dtype)


@pytest.fixture(scope='module', params=['posedirs', 'zero_posedirs'])
def models(request, tmp_path_factory):
    arrays = make_smpl_arrays(NUM_VERTICES, seed=11)
    if request.param == 'zero_posedirs':
        arrays['posedirs'] = np.zeros_like(arrays['posedirs'])
    path = write_official_pickle(tmp_path_factory.mktemp('oracle') / 'SMPL_NEUTRAL.pkl', arrays)
    return SMPL(path), arrays


def _inputs(batch, seed):
    rng = np.random.default_rng(seed)
    betas = rng.normal(size=(batch, 10)) * 1.5
    axis_angle = rng.normal(size=(batch, 24, 3)) * 0.6
    transl = rng.normal(size=(batch, 3))
    return betas, axis_angle, transl


@pytest.mark.parametrize('batch', [1, 5, 300])  # 300 exercises several vertex chunks
def test_rotation_matrix_input_matches_smplx_layer(models, batch):
    model, arrays = models
    betas, axis_angle, transl = _inputs(batch, seed=batch)
    rotmats = torch.from_numpy(Rotation.from_rotvec(axis_angle.reshape(-1, 3)).as_matrix().reshape(batch, 24, 3, 3))
    betas, rotmats, transl = (torch.from_numpy(x).float() if isinstance(x, np.ndarray) else x.float()
                              for x in (betas, rotmats, transl))
    ref = _smplx_layer(arrays, layer=True)(betas=betas, global_orient=rotmats[:, :1], body_pose=rotmats[:, 1:],
                                           transl=transl)
    ours = model(betas, rotmats, transl=transl)
    torch.testing.assert_close(ours.vertices, ref.vertices, atol=TOL, rtol=0)
    torch.testing.assert_close(ours.joints_smpl, ref.joints[:, :24], atol=TOL, rtol=0)
    assert ours.vertices.abs().max() > 0.5  # posed meshes, not degenerate zeros


def test_axis_angle_input_matches_smplx_with_its_own_rodrigues(models):
    model, arrays = models
    betas, axis_angle, transl = (torch.from_numpy(x).float() for x in _inputs(7, seed=3))
    pose = axis_angle.reshape(7, 72)
    ref = _smplx_layer(arrays, layer=False)(betas=betas, global_orient=pose[:, :3], body_pose=pose[:, 3:],
                                            transl=transl)
    ours = model(betas, pose, transl=transl)
    torch.testing.assert_close(ours.vertices, ref.vertices, atol=TOL, rtol=0)
    torch.testing.assert_close(ours.joints_smpl, ref.joints[:, :24], atol=TOL, rtol=0)


def test_float64_and_gradients_match_smplx(models):
    model, arrays = models
    # smplx gets the float32-rounded arrays, so only arithmetic differs.
    rounded = {k: v.astype(np.float32).astype(np.float64) if isinstance(v, np.ndarray) and v.dtype == np.float64
               else v for k, v in arrays.items()}
    ref_layer = _smplx_layer(rounded, layer=True, dtype=torch.float64)
    betas, axis_angle, _ = _inputs(4, seed=8)
    rotmats = torch.from_numpy(Rotation.from_rotvec(axis_angle.reshape(-1, 3)).as_matrix().reshape(4, 24, 3, 3))
    betas = torch.from_numpy(betas)
    grads = []
    for run in ('ours', 'smplx'):
        b, r = betas.clone().requires_grad_(), rotmats.clone().requires_grad_()
        if run == 'ours':
            out = model(b, r)
            verts, joints = out.vertices, out.joints_smpl
        else:
            out = ref_layer(betas=b, global_orient=r[:, :1], body_pose=r[:, 1:])
            verts, joints = out.vertices, out.joints[:, :24]
        assert verts.dtype == torch.float64
        (verts.square().sum() + joints.square().sum()).backward()
        grads.append((verts.detach(), joints.detach(), b.grad, r.grad))
    (v1, j1, gb1, gr1), (v2, j2, gb2, gr2) = grads
    # Our pose-independent joint terms are precomputed in float64 and stored in float32.
    torch.testing.assert_close(v1, v2, atol=1e-6, rtol=0)
    torch.testing.assert_close(j1, j2, atol=1e-6, rtol=0)
    torch.testing.assert_close(gb1, gb2, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(gr1, gr2, atol=1e-5, rtol=1e-5)
