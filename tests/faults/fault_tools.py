"""Helpers and fixtures of the fault suite, imported by its tests.

There is no conftest.py here on purpose: other test folders import their own
``conftest`` by name, and a second module of that name would shadow theirs.
"""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for synthetic_runs
import synthetic_runs  # noqa: E402
from synthetic_runs import REPO, run_python, tiny_run_options, write_synthetic_data  # noqa: E402,F401

QUICKSTART = str(REPO / synthetic_runs.QUICKSTART)


@pytest.fixture(scope='session')
def fault_data_dir(tmp_path_factory):
    """8 training images, 4 test images and a 50-pose prior (one session-wide copy)."""
    return write_synthetic_data(tmp_path_factory.mktemp('fault_data'), train=8, test=4, prior=50)
