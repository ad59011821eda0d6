"""Shared fixtures for the command-line tools: a small synthetic dataset and tiny-run overrides."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
QUICKSTART = 'configs/mesh/hmr/hmr_resnet18_synthetic_quickstart.py'


@pytest.fixture(scope='session')
def synthetic_data_dir(tmp_path_factory):
    """16 training images, 8 test images of each protocol and a 200-pose prior, generated once per session."""
    from mesh_recovery.synthetic.dataset_writer import SyntheticDatasetWriter
    out_dir = tmp_path_factory.mktemp('synthetic_data')
    writer = SyntheticDatasetWriter(str(REPO / 'models/free_body/body_model.npz'),
                                    str(REPO / 'models/free_body/joints_regressor_spin24.npy'), str(out_dir),
                                    seed=0, num_workers=1)
    writer.write_train(16)
    writer.write_test(8)
    writer.write_pw3d_test(8)
    writer.write_mpi_inf_3dhp_test(8)
    writer.write_prior(200)
    return out_dir


def tiny_run_options(data_dir, epochs: int = 1, batch_size: int = 4, workers: int = 0) -> list:
    """``--cfg-options`` making the quickstart config a seconds-long run on ``data_dir``."""
    return [
        f'train_dataloader.dataset.train_dataset.data_root={data_dir}',
        f'train_dataloader.dataset.adversarial_dataset.data_root={data_dir}',
        f'test_dataloader.dataset.data_root={data_dir}',
        f'val_dataloader.dataset.data_root={data_dir}',
        f'train_dataloader.batch_size={batch_size}',
        f'train_dataloader.num_workers={workers}',
        'train_dataloader.persistent_workers=False',
        f'test_dataloader.num_workers={workers}',
        f'val_dataloader.num_workers={workers}',
        f'train_cfg.max_epochs={epochs}',
        f'train_cfg.val_interval={epochs + 1}',
        'default_hooks.logger.interval=1',
    ]


def run_tool(args, cwd=REPO, timeout=600, check=True, env=None):
    """Run ``python tools/...`` (or a shell script) like a user, returning the completed process."""
    command = [sys.executable] + [str(a) for a in args] if str(args[0]).endswith('.py') else [str(a) for a in args]
    full_env = dict(os.environ, **(env or {}))
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=full_env)
    if check and result.returncode != 0:
        raise AssertionError(f'{command} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}')
    return result
