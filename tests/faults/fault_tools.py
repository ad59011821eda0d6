"""Helpers of the fault suite (imported by its tests; fixtures live in conftest.py)."""
import os
import subprocess
import sys
from pathlib import Path

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
