"""dist_train.sh with 2 CPU processes (gloo): ranks agree, and match one process with the same total batch."""
import os
import sys
from pathlib import Path

import pytest
import torch

from conftest import QUICKSTART, REPO, run_tool, tiny_run_options

HERE = Path(__file__).resolve().parent


def write_config(tmp_path):
    config = tmp_path / 'ddp_check.py'
    config.write_text(
        f"_base_ = ['{REPO / QUICKSTART}']\n"
        "custom_imports = dict(imports=['param_dump_hook'], allow_failed_imports=False)\n"
        "custom_hooks = [dict(type='FiniteLossHook'), dict(type='RNGStateHook'), dict(type='ParamDumpHook')]\n"
        # Without dropout and batch statistics, 2 x 2 samples and 1 x 4 samples are the same
        # computation up to float summation order, so the runs must agree closely.
        # The float32 backbone: bfloat16 rounding would differ between the two batch splits.
        "model = dict(backbone=dict(norm_eval=True, autocast_dtype=None), mesh_head=dict(dropout=0.0))\n"
        # Plain SGD keeps each update proportional to the (all-reduced) gradient; Adam's
        # first steps are sign-like and would hide whether gradients were averaged.
        "optim_wrapper = dict(generator=dict(optimizer=dict(_delete_=True, type='SGD', lr=1e-5)),\n"
        "                     discriminator=dict(optimizer=dict(_delete_=True, type='SGD', lr=1e-5)))\n")
    return config


def load_params(path):
    return torch.load(path, map_location='cpu', weights_only=True)


@pytest.mark.skipif(sys.platform != 'linux', reason='torchrun with gloo is exercised on Linux')
def test_two_process_cpu_training_matches_single_process(synthetic_data_dir, tmp_path):
    config = write_config(tmp_path)
    env = dict(PYTHONPATH=f'{HERE}{os.pathsep}{os.environ.get("PYTHONPATH", "")}',
               PATH=f'{Path(sys.executable).parent}{os.pathsep}{os.environ["PATH"]}', PORT='29517',
               OMP_NUM_THREADS='1')
    ddp_dir, single_dir = tmp_path / 'ddp', tmp_path / 'single'
    run_tool(['bash', 'tools/dist_train.sh', config, '2', '--work-dir', ddp_dir, '--seed', '0', '--cfg-options',
              *tiny_run_options(synthetic_data_dir, batch_size=2)], env=env)
    run_tool(['tools/train.py', config, '--work-dir', single_dir, '--seed', '0', '--cfg-options',
              *tiny_run_options(synthetic_data_dir, batch_size=4)], env=env)

    rank0, rank1 = load_params(ddp_dir / 'rank0_final.pt'), load_params(ddp_dir / 'rank1_final.pt')
    for key in rank0:
        assert torch.equal(rank0[key], rank1[key]), f'ranks disagree on {key}'

    initial = load_params(ddp_dir / 'rank0_initial.pt')
    assert all(torch.equal(initial[k], v) for k, v in load_params(single_dir / 'rank0_initial.pt').items())
    single = load_params(single_dir / 'rank0_final.pt')
    trained = [k for k in single if not k.endswith(('running_mean', 'running_var'))]
    ddp_update = torch.cat([(rank0[k] - initial[k]).flatten() for k in trained])
    single_update = torch.cat([(single[k] - initial[k]).flatten() for k in trained])
    assert single_update.norm() > 0
    relative = (ddp_update - single_update).norm() / single_update.norm()
    assert relative < 1e-3, f'DDP update differs from the single-process one by {relative:.2e} (relative)'
