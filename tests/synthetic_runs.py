"""Small synthetic datasets and tiny tool runs, shared by tests/tools, tests/faults and others.

A plain module with a unique name, not a ``conftest``: several folders import
their own ``conftest`` by name, and which one ``from conftest import`` finds
depends on the collection order. Importers put this folder on ``sys.path``
(``tests/tools/conftest.py`` and ``tests/faults/fault_tools.py`` do).
"""
import os
import subprocess
import sys
from pathlib import Path

from mesh_recovery.body_models.model_files import FREE_BODY_MODEL_FILES, FREE_BODY_REGRESSOR, free_body_path

REPO = Path(__file__).resolve().parents[1]
QUICKSTART = 'configs/mesh/hmr/hmr_resnet18_synthetic_quickstart.py'


def synthetic_writer(out_dir):
    """A seeded, single-process writer of the free body model's synthetic data under ``out_dir``."""
    from mesh_recovery.synthetic.dataset_writer import SyntheticDatasetWriter
    return SyntheticDatasetWriter(str(REPO / free_body_path(FREE_BODY_MODEL_FILES['neutral'])),
                                  str(REPO / free_body_path(FREE_BODY_REGRESSOR)), str(out_dir), seed=0,
                                  num_workers=1)


def write_synthetic_data(out_dir, train: int = 0, test: int = 0, pw3d_test: int = 0, mpi_inf_3dhp_test: int = 0,
                         prior: int = 0) -> Path:
    """Write the requested splits (sample counts; 0 skips a split) under ``out_dir`` and return it."""
    writer = synthetic_writer(out_dir)
    for count, write in ((train, writer.write_train), (test, writer.write_test),
                         (pw3d_test, writer.write_pw3d_test), (mpi_inf_3dhp_test, writer.write_mpi_inf_3dhp_test),
                         (prior, writer.write_prior)):
        if count:
            write(count)
    return Path(out_dir)


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


def run_python(args, timeout=300, env=None, cwd=REPO):
    """Run ``python ARGS`` like a user; returns the completed process (never raises on failure)."""
    return subprocess.run([sys.executable] + [str(a) for a in args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=dict(os.environ, **(env or {})))
