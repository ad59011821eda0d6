"""Shared fixtures for the command-line tools: a small synthetic dataset and tiny-run overrides."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for synthetic_runs
from synthetic_runs import QUICKSTART, REPO, tiny_run_options, write_synthetic_data  # noqa: E402,F401


@pytest.fixture(scope='session')
def synthetic_data_dir(tmp_path_factory):
    """16 training images, 8 test images of each protocol and a 200-pose prior, generated once per session."""
    return write_synthetic_data(tmp_path_factory.mktemp('synthetic_data'), train=16, test=8, pw3d_test=8,
                                mpi_inf_3dhp_test=8, prior=200)


def run_tool(args, cwd=REPO, timeout=600, check=True, env=None):
    """Run ``python tools/...`` (or a shell script) like a user, returning the completed process."""
    command = [sys.executable] + [str(a) for a in args] if str(args[0]).endswith('.py') else [str(a) for a in args]
    full_env = dict(os.environ, **(env or {}))
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=full_env)
    if check and result.returncode != 0:
        raise AssertionError(f'{command} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}')
    return result
