"""Item 7: known bugs stay fixed (quickstart --data-dir, SMPL with a batch of 0, demo box files and huge images)."""
import importlib.util
import json
import sys
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
    monkeypatch.setattr(quickstart, 'write_pictures', lambda config, ckpt, data_dir, work: calls.setdefault('pics', ckpt))
    data_dir = tmp_path / 'my_data'
    quickstart.main(['--data-dir', str(data_dir), '--work-dir', str(tmp_path / 'work'), '--epochs', '1'])
    for step in ('train', 'test'):
        roots = [a for a in calls[step] if '.data_root=' in str(a)]
        assert len(roots) == 4 and all(str(a).endswith(f'={data_dir}') for a in roots), calls[step]
    assert 'train_cfg.max_epochs=1' in calls['train']
    assert calls['test'][1] == str(tmp_path / 'work' / 'epoch_1.pth')  # relative pointer resolved
    assert calls['base'] == str(data_dir)
