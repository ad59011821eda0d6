"""Helpers and fixtures of the fault suite, imported by its tests.

There is no conftest.py here on purpose: other test folders import their own
``conftest`` by name, and a second module of that name would shadow theirs.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
QUICKSTART = str(REPO / 'configs/mesh/hmr/hmr_resnet18_synthetic_quickstart.py')


def tiny_options(data_dir, epochs: int = 1) -> list:
    """``--cfg-options`` that make the quickstart config a seconds-long run on ``data_dir``."""
    return [
        f'train_dataloader.dataset.train_dataset.data_root={data_dir}',
        f'train_dataloader.dataset.adversarial_dataset.data_root={data_dir}',
        f'test_dataloader.dataset.data_root={data_dir}',
        f'val_dataloader.dataset.data_root={data_dir}',
        'train_dataloader.batch_size=4', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False', 'test_dataloader.num_workers=0',
        'val_dataloader.num_workers=0', f'train_cfg.max_epochs={epochs}', f'train_cfg.val_interval={epochs + 1}',
        'default_hooks.logger.interval=1',
    ]


def run_python(args, timeout=300, env=None, cwd=REPO):
    """Run ``python ARGS`` like a user; returns the completed process (never raises on failure)."""
    return subprocess.run([sys.executable] + [str(a) for a in args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=dict(os.environ, **(env or {})))


@pytest.fixture(scope='session')
def fault_data_dir(tmp_path_factory):
    """8 training images, 4 test images and a 50-pose prior (one session-wide copy)."""
    from mesh_recovery.synthetic.dataset_writer import SyntheticDatasetWriter
    out_dir = tmp_path_factory.mktemp('fault_data')
    writer = SyntheticDatasetWriter(str(REPO / 'models/free_body/body_model.npz'),
                                    str(REPO / 'models/free_body/joints_regressor_spin24.npy'), str(out_dir),
                                    seed=0, num_workers=1)
    writer.write_train(8)
    writer.write_test(4)
    writer.write_prior(50)
    return out_dir
