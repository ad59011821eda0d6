"""tools/deployment/pytorch2onnx.py: onnxruntime reproduces PyTorch; unsupported operators are named."""
import importlib.util
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from mesh_recovery.apis import init_model
from mesh_recovery.apis.onnx_export import INPUT_NAME, OUTPUT_NAMES, ExportError, export_onnx, onnxruntime_session
from mesh_recovery.registry import MODELS

ort = pytest.importorskip('onnxruntime', reason='the export checks need onnxruntime (pip install -e ".[deploy]")')
pytest.importorskip('onnx', reason='the exporter needs onnx (pip install -e ".[deploy]")')

REPO = Path(__file__).resolve().parents[2]
QUICKSTART = 'configs/mesh/hmr/hmr_resnet18_synthetic_quickstart.py'
FULL = 'configs/mesh/hmr/hmr_resnet_50.py'
FREE_BODY = REPO / 'models/free_body'
# The full-size config with the free body model in place of the licensed SMPL files.
FREE_BODY_OPTIONS = {
    'model.smpl.smpl_path': str(FREE_BODY / 'body_model.npz'),
    'model.smpl.joints_regressor': str(FREE_BODY / 'joints_regressor_spin24.npy'),
    'model.mesh_head.smpl_mean_params': str(FREE_BODY / 'mean_params.npz')}


def load_tool():
    spec = importlib.util.spec_from_file_location('pytorch2onnx_tool', REPO / 'tools/deployment/pytorch2onnx.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_onnx(path, crops):
    session = onnxruntime_session(str(path))
    return dict(zip(OUTPUT_NAMES, session.run(list(OUTPUT_NAMES), {INPUT_NAME: crops.astype(np.float32)})))


def trained_like(model, seed):
    """Move the head's decoders off their near-zero init so the outputs depend on the image."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in (model.mesh_head.decpose, model.mesh_head.decshape, model.mesh_head.deccam):
            layer.weight.copy_(torch.randn(layer.weight.shape, generator=gen) * 0.02)
    return model


def test_quickstart_export_matches_predict_of_the_loaded_checkpoint(tmp_path):
    torch.manual_seed(0)
    model = trained_like(init_model(REPO / QUICKSTART), seed=0)
    checkpoint = tmp_path / 'model.pth'
    torch.save({'state_dict': model.state_dict()}, checkpoint)
    out = tmp_path / 'out' / 'quickstart.onnx'
    result = load_tool().main([QUICKSTART, str(checkpoint), '--out', str(out)])
    assert result['max_abs_diff']['pred_vertices'] < 1e-4

    # The graph holds the whole inference path: uint8 BGR crops -> normalisation -> ... -> vertices
    # must give what model.predict gives on the preprocessed crops (batch 4: the batch is dynamic).
    rng = np.random.default_rng(0)
    crops = rng.integers(0, 256, size=(4, 3, 128, 128), dtype=np.uint8)
    got = run_onnx(out, crops.astype(np.float32))
    loaded = init_model(REPO / QUICKSTART, str(checkpoint))
    # The graph is float32; the config runs its backbone in bfloat16 where the CPU has it.
    loaded.backbone.autocast_dtype = None
    batch = loaded.data_preprocessor({'inputs': torch.from_numpy(crops)}, False)
    expected = loaded.predict(batch['inputs'])
    vertices = np.stack([p['vertices'] for p in expected])
    assert got['pred_vertices'].shape == vertices.shape == (4, loaded.smpl.num_vertices, 3)
    np.testing.assert_allclose(got['pred_vertices'], vertices, atol=1e-4, rtol=0)
    np.testing.assert_allclose(got['pred_keypoints_3d'], np.stack([p['keypoints_3d'] for p in expected]), atol=1e-4)
    np.testing.assert_allclose(got['pred_rotmat'], np.stack([p['smpl_pose'] for p in expected]), atol=1e-5)
    np.testing.assert_allclose(got['pred_betas'], np.stack([p['smpl_beta'] for p in expected]), atol=1e-5)
    np.testing.assert_allclose(got['pred_camera'], np.stack([p['camera'] for p in expected]), atol=1e-5)
    # Different crops give different meshes (the check above is not comparing constants).
    assert np.abs(got['pred_vertices'][0] - got['pred_vertices'][1]).max() > 1e-3
    # Translation: [tx, ty, 2 f / (img_res s)].
    cam = got['pred_camera'].astype(np.float64)
    np.testing.assert_allclose(got['pred_camera_translation'][:, 2], 2 * 5000.0 / (128 * cam[:, 0] + 1e-9),
                               rtol=1e-5)


def test_full_size_resnet50_export_matches_pytorch(tmp_path):
    torch.manual_seed(1)
    model = trained_like(init_model(REPO / FULL, cfg_options=FREE_BODY_OPTIONS), seed=1)
    out = export_onnx(model, str(tmp_path / 'hmr_resnet_50.onnx'), source=FULL)
    rng = np.random.default_rng(1)
    crops = rng.uniform(0, 255, size=(1, 3, 224, 224)).astype(np.float32)
    got = run_onnx(out, crops)
    batch = model.data_preprocessor({'inputs': torch.from_numpy(crops)}, False)
    expected = model.predict(batch['inputs'])[0]
    assert got['pred_vertices'].shape == (1, model.smpl.num_vertices, 3)
    np.testing.assert_allclose(got['pred_vertices'][0], expected['vertices'], atol=1e-4, rtol=0)
    np.testing.assert_allclose(got['pred_keypoints_3d'][0], expected['keypoints_3d'], atol=1e-4, rtol=0)


@MODELS.register_module(force=True)
class SpectralTestBackbone(torch.nn.Module):
    """A backbone whose FFT has no ONNX form (only for the error-message test)."""

    def forward(self, x):
        return (torch.fft.fft2(x).abs().mean(dim=(2, 3)).repeat(1, 171)[:, :512], )


def test_an_operator_without_onnx_form_is_named(tmp_path):
    options = {'model.backbone': dict(type='SpectralTestBackbone', _delete_=True)}
    model = init_model(REPO / QUICKSTART, cfg_options=options)
    with pytest.raises(ExportError, match=r"hmr_resnet18\S*: operator aten::fft_fft2 cannot be exported to ONNX"):
        export_onnx(model, str(tmp_path / 'bad.onnx'), source=QUICKSTART)


def test_the_tool_stops_with_one_message(tmp_path, capsys, monkeypatch):
    from mesh_recovery.utils.errors import run_main
    monkeypatch.setattr(sys, 'argv', ['pytorch2onnx.py'])
    status = run_main(load_tool().main, [QUICKSTART, str(tmp_path / 'missing.pth'), '--out', str(tmp_path / 'm.onnx')])
    err = capsys.readouterr().err
    assert status == 2 and 'missing.pth' in err and 'Traceback' not in err
    assert not (tmp_path / 'm.onnx').exists()


def test_demo_runs_the_onnx_file_like_the_pytorch_model(tmp_path):
    from mesh_recovery.apis import inference_model
    from mesh_recovery.apis.onnx_mesh_model import OnnxMeshModel
    torch.manual_seed(2)
    model = trained_like(init_model(REPO / QUICKSTART), seed=2)
    onnx_path = export_onnx(model, str(tmp_path / 'q.onnx'))
    model.backbone.autocast_dtype = None  # the graph is float32
    rng = np.random.default_rng(2)
    frames = tmp_path / 'frames'
    frames.mkdir()
    images = [rng.integers(0, 256, size=(90, 110, 3), dtype=np.uint8) for _ in range(2)]
    for i, image in enumerate(images):
        cv2.imwrite(str(frames / f'{i}.png'), image)
    boxes = np.array([[10, 5, 50, 80], [55, 10, 45, 75]], np.float64)
    onnx_model = OnnxMeshModel(onnx_path, REPO / QUICKSTART)
    got = inference_model(onnx_model, images[0], boxes)
    expected = inference_model(model, images[0], boxes)
    assert len(got) == len(expected) == 2
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a.vertices, b.vertices, atol=1e-4, rtol=0)
        np.testing.assert_allclose(a.camera_translation, b.camera_translation, rtol=1e-5)
        np.testing.assert_array_equal(a.faces, b.faces)
    assert np.abs(got[0].vertices - got[1].vertices).max() > 1e-3

    paths = load_demo().main([QUICKSTART, str(frames), '--onnx', onnx_path, '--out-dir', str(tmp_path / 'out'),
                              '--out-video', str(tmp_path / 'out' / 'v.mkv'), '--save-vertices', '--no-progress'])
    assert paths['frames'] == 2
    for i, image in enumerate(images):
        (reference, ) = inference_model(model, image)
        with np.load(Path(paths['results_dir']) / f'{i:06d}.npz') as result:
            np.testing.assert_allclose(result['vertices'][0], reference.vertices, atol=1e-4, rtol=0)
    with pytest.raises(ValueError, match='drop --checkpoint'):
        load_demo().main([QUICKSTART, str(frames), '--onnx', onnx_path, '--checkpoint', 'x.pth'])


def load_demo():
    spec = importlib.util.spec_from_file_location('demo_tool_onnx', REPO / 'tools' / 'demo.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
