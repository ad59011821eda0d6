"""Fixtures of the fault suite: a tiny synthetic dataset, and tiny-run options for the quickstart config."""
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


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
