"""The main job's steps that the other tool tests do not run: data top-up and the 3DPW-like evaluation."""
import importlib.util
import math
import shutil

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from conftest import QUICKSTART, REPO  # noqa: F401  (tests/tools/conftest.py)
from mesh_recovery.registry import MODELS


def load_quickstart():
    spec = importlib.util.spec_from_file_location('quickstart_tool_steps', REPO / 'tools' / 'quickstart.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_an_older_data_folder_gets_only_the_missing_3dpw_like_set(synthetic_data_dir, tmp_path):
    quickstart = load_quickstart()
    data_dir = tmp_path / 'data'
    ann_dir = data_dir / 'mesh_annotation_files'
    ann_dir.mkdir(parents=True)
    for name in ('synthetic_train', 'synthetic_test', 'synthetic_mosh'):
        shutil.copy(synthetic_data_dir / 'mesh_annotation_files' / f'{name}.npz', ann_dir)
    before = {p.name: p.stat().st_mtime_ns for p in ann_dir.iterdir()}
    args = quickstart.parse_args(['--data-dir', str(data_dir), '--num-pw3d-test', '2'])
    quickstart.ensure_synthetic_data(args)
    after = {p.name: p.stat().st_mtime_ns for p in ann_dir.iterdir()}
    assert set(after) - set(before) >= {'synthetic_3dpw_test.npz'}
    assert all(after[name] == mtime for name, mtime in before.items())


def test_pw3d_like_evaluation_and_its_baseline(synthetic_data_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(REPO)
    init_default_scope('mesh_recovery')
    quickstart = load_quickstart()
    # The main job's model (its CLIFF config), as the checkpoint evaluate_pw3d_like is given.
    model = MODELS.build(Config.fromfile(str(REPO / quickstart.CONFIG)).model)
    checkpoint = tmp_path / 'untrained.pth'
    torch.save(dict(meta={}, state_dict=model.state_dict()), checkpoint)
    metrics, baseline = quickstart.evaluate_pw3d_like(str(checkpoint), str(synthetic_data_dir), str(tmp_path))
    for figures in (metrics, baseline):
        assert all(math.isfinite(figures[k]) and figures[k] > 0 for k in ('MPJPE', 'MPJPE-PA', 'PVE')), figures
    # An untrained head predicts close to its mean parameters: the figures are of the baseline's size.
    assert 0.3 < metrics['PVE'] / baseline['PVE'] < 3
    quickstart.print_pw3d_comparison(metrics, baseline)
    out = capsys.readouterr().out
    assert 'gendered ground truth' in out and f'{baseline["PVE"]:.2f}' in out and 'PVE ratio' in out


def test_the_precision_note_says_which_precision_the_backbone_trains_in(monkeypatch, capsys):
    from mesh_recovery.models.backbones import resnet
    quickstart = load_quickstart()
    config = str(REPO / quickstart.CONFIG)
    monkeypatch.setattr(resnet, 'native_bfloat16', lambda device: torch.bfloat16)
    quickstart.print_precision_note(config)
    assert 'trains under bfloat16 autocast' in capsys.readouterr().out
    monkeypatch.setattr(resnet, 'native_bfloat16', lambda device: None)
    quickstart.print_precision_note(config)
    note = capsys.readouterr().out
    assert 'no native bfloat16' in note and 'trains in float32' in note and '78 min' in note


def test_the_precision_note_follows_the_configs_setting(monkeypatch, capsys, tmp_path):
    from mesh_recovery.models.backbones import resnet
    quickstart = load_quickstart()
    monkeypatch.setattr(resnet, 'native_bfloat16', lambda device: torch.bfloat16)
    config = tmp_path / 'float32_backbone.py'
    config.write_text(f"_base_ = ['{REPO / quickstart.CONFIG}']\nmodel = dict(backbone=dict(autocast_dtype=None))\n")
    quickstart.print_precision_note(str(config))
    assert 'trains in float32 (the config sets no autocast)' in capsys.readouterr().out
