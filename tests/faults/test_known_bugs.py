"""Item 7: known bugs stay fixed (quickstart --data-dir, SMPL with a batch of 0, demo box files and huge images)."""
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import torch

REPO = Path(__file__).resolve().parents[2]


def _tool(name):
    spec = importlib.util.spec_from_file_location(f'fault_{name}', REPO / 'tools' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quickstart_data_dir_reaches_the_training_and_test_steps(tmp_path, monkeypatch):
    quickstart = _tool('quickstart')
    calls = {}
    (tmp_path / 'work').mkdir()
    (tmp_path / 'work' / 'last_checkpoint').write_text('epoch_1.pth')

    class FakeTest:
        @staticmethod
        def main(argv):
            calls['test'] = argv
            return {'MPJPE': 1.0, 'MPJPE-PA': 1.0}

    monkeypatch.setattr(quickstart, 'ensure_synthetic_data', lambda args: None)
    monkeypatch.setattr(quickstart.subprocess, 'run', lambda argv, **kw: calls.setdefault('train', argv))
    monkeypatch.setattr(quickstart, 'load_tool', lambda name: FakeTest)
    monkeypatch.setattr(quickstart, 'mean_pose_baseline', lambda config, data_dir: calls.setdefault('base', data_dir))
    monkeypatch.setattr(quickstart, 'print_comparison', lambda *a: None)
    if hasattr(quickstart, 'evaluate_pw3d_like'):  # the 3DPW-like step passes data_dir on itself
        def fake_pw3d(ckpt, data_dir, work):
            calls['pw3d'] = data_dir
            return ()

        monkeypatch.setattr(quickstart, 'evaluate_pw3d_like', fake_pw3d)
        monkeypatch.setattr(quickstart, 'print_pw3d_comparison', lambda *a: None)
    monkeypatch.setattr(quickstart, 'write_pictures',
                        lambda config, ckpt, data_dir, work: calls.setdefault('pics', ckpt))
    data_dir = tmp_path / 'my_data'
    quickstart.main(['--data-dir', str(data_dir), '--work-dir', str(tmp_path / 'work'), '--epochs', '1'])
    for step in ('train', 'test'):
        roots = [a for a in calls[step] if '.data_root=' in str(a)]
        assert len(roots) == 4 and all(str(a).endswith(f'={data_dir}') for a in roots), calls[step]
    assert 'train_cfg.max_epochs=1' in calls['train']
    assert calls['test'][1] == str(tmp_path / 'work' / 'epoch_1.pth')  # relative pointer resolved
    assert calls['base'] == str(data_dir)
    assert calls.get('pw3d', str(data_dir)) == str(data_dir)


def test_smpl_with_a_batch_of_zero_returns_empty_outputs():
    from mesh_recovery.body_models.smpl import SMPL
    smpl = SMPL(str(REPO / 'models/free_body'),
                joints_regressor=str(REPO / 'models/free_body/joints_regressor_spin24.npy'))
    one = smpl(betas=torch.zeros(1, 10), pose=torch.zeros(1, 72))
    for pose in (torch.zeros(0, 72), torch.zeros(0, 24, 3, 3)):
        empty = smpl(betas=torch.zeros(0, 10), pose=pose, transl=torch.zeros(0, 3))
        for got, ref in zip(empty, one):
            assert got.shape == (0, ) + ref.shape[1:] and got.dtype == ref.dtype


@pytest.mark.parametrize('content, words', [
    ('', 'is empty'),
    ('[[0, 0, 10, 10], [1, 2, 3]', 'is not valid JSON'),
    ('[[0, 0, 10, 10], [1, 2, "x", 4]]', "entry 1 is [1, 2, 'x', 4]; its values must be numbers"),
    ('[[0, 0, 10, 10], {"box": [1, 2, 3, 4]}]', 'entry 1 is None'),
    ('[[0, 0, NaN, 10]]', 'entry 0 is [0, 0, nan, 10]; its values must be finite'),
    ('{"images": [{"file_name": "img.jpg"}], "annotations": []}', 'images[0]'),
    ('{"images": [{"file_name": "img.jpg", "id": 1}], "annotations": [{"image_id": 1, "bbox": [1, 2]}]}',
     'annotations[0].bbox is [1, 2]'),
    ('{"images": 3, "annotations": []}', '"images" must be a list'),
])
def test_malformed_box_files_name_the_file_and_the_entry(tmp_path, content, words):
    from mesh_recovery.utils.errors import BadFileError
    demo = _tool('demo')
    path = tmp_path / 'boxes.json'
    path.write_text(content)
    with pytest.raises(BadFileError) as info:
        demo.load_boxes(str(path), str(tmp_path / 'img.jpg'), 'xywh')
    assert str(path) in str(info.value) and words in str(info.value), str(info.value)


def test_good_box_files_still_load(tmp_path):
    demo = _tool('demo')
    path = tmp_path / 'boxes.json'
    path.write_text(json.dumps([[0, 0, 10, 20], {'bbox': [1, 2, 3, 4, 0.9]}]))
    boxes, fmt = demo.load_boxes(str(path), 'img.jpg', 'xyxy')
    assert fmt == 'xyxy' and boxes.tolist() == [[0, 0, 10, 20], [1, 2, 3, 4]]


def test_overlay_of_a_large_image_is_drawn_scaled_with_its_cameras():
    from mesh_recovery.apis.inference import PersonMesh
    demo = _tool('demo')
    image = np.zeros((3000, 6000, 3), np.uint8)
    person = PersonMesh(vertices=np.array([[0.1, 0.2, 5.0]], np.float32), faces=np.zeros((1, 3), np.int64),
                        keypoints_3d=np.zeros((24, 3), np.float32), camera=np.ones(3), camera_translation=np.ones(3),
                        pose=np.zeros((24, 3, 3)), betas=np.zeros(10), bbox=np.array([100.0, 200, 1100, 2200]),
                        center=np.array([600.0, 1200]), scale=12.0, focal_length=5000.0)
    small, [scaled] = demo.fit_for_overlay(image, [person], 1500)
    assert small.shape == (750, 1500, 3)
    # The vertex projects to the same relative place on the small image as on the full one.
    full_u = person.focal_length * 0.1 / 5.0 + person.center[0]
    small_u = scaled.focal_length * 0.1 / 5.0 + scaled.center[0]
    assert small_u == pytest.approx(full_u / 4) and scaled.bbox.tolist() == [25, 50, 275, 550]
    same, [unchanged] = demo.fit_for_overlay(image, [person], 0)
    assert same is image and unchanged is person
