"""End to end through the command-line tools: train, save, evaluate, reload predictions."""
import pickle

import numpy as np
import pytest
import torch

from mesh_recovery.engine import setup_checkpoint_loading

from conftest import QUICKSTART, REPO, run_tool, tiny_run_options  # noqa: F401  (tests/tools/conftest.py)

# These tests torch.load mmengine checkpoints themselves (weights-only, logging objects allowed).
setup_checkpoint_loading()


def test_train_then_test_with_joint_error_and_out(synthetic_data_dir, tmp_path):
    work_dir = tmp_path / 'work'
    run_tool(['tools/train.py', QUICKSTART, '--work-dir', work_dir, '--seed', '0', '--cfg-options',
              *tiny_run_options(synthetic_data_dir)])
    checkpoint = work_dir / 'epoch_1.pth'
    assert (work_dir / 'last_checkpoint').read_text().strip().endswith('epoch_1.pth')
    state = torch.load(checkpoint, map_location='cpu', weights_only=True)
    assert any(k.startswith('mesh_head.') for k in state['state_dict'])
    assert not any(k.startswith('smpl.') for k in state['state_dict'])

    out = tmp_path / 'results.pkl'
    result = run_tool(['tools/test.py', QUICKSTART, checkpoint, '--eval=joint_error', '--out', out,
                       '--work-dir', tmp_path / 'test', '--cfg-options', *tiny_run_options(synthetic_data_dir)])
    table = result.stdout.splitlines()
    mpjpe = [line for line in table if line.startswith('MPJPE ')]
    assert mpjpe and float(mpjpe[0].split()[1]) > 0, result.stdout[-2000:]
    with open(out, 'rb') as f:
        predictions = pickle.load(f)
    assert len(predictions) == 8
    first = predictions[0]
    assert np.asarray(first['keypoints_3d']).shape == (24, 3)
    assert np.asarray(first['smpl_pose']).shape == (24, 3, 3)
    assert np.asarray(first['gt_keypoints_3d']).shape == (24, 4)


def test_missing_annotation_file_fails_before_training(tmp_path):
    result = run_tool(['tools/train.py', QUICKSTART, '--work-dir', tmp_path / 'work', '--cfg-options',
                       *tiny_run_options(tmp_path / 'no_data')], check=False, timeout=120)
    assert result.returncode != 0
    assert 'synthetic_train.npz' in result.stderr and 'make_synthetic_data.py' in result.stderr
    assert not (tmp_path / 'work' / 'epoch_1.pth').exists()


def test_missing_body_model_fails_before_training(synthetic_data_dir, tmp_path):
    result = run_tool(['tools/train.py', QUICKSTART, '--work-dir', tmp_path / 'work', '--cfg-options',
                       *tiny_run_options(synthetic_data_dir), 'model.smpl.smpl_path=models/smpl'],
                      check=False, timeout=120)
    assert result.returncode != 0
    assert 'SMPL_NEUTRAL.pkl' in result.stderr and 'smpl-model-files' in result.stderr
