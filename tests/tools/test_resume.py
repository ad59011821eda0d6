"""A run killed with SIGKILL resumes from its last checkpoint and ends where an uninterrupted run ends."""
import os
import signal
import subprocess
import sys
import time

import torch

from mesh_recovery.engine import setup_checkpoint_loading
from conftest import QUICKSTART, REPO, run_tool, tiny_run_options

# These tests torch.load mmengine checkpoints themselves (weights-only, logging objects allowed).
setup_checkpoint_loading()


def final_weights(work_dir):
    state = torch.load(work_dir / 'epoch_2.pth', map_location='cpu', weights_only=True)['state_dict']
    return {k: v for k, v in state.items() if v.is_floating_point()}


def test_killed_run_resumes_to_the_same_weights(synthetic_data_dir, tmp_path):
    options = tiny_run_options(synthetic_data_dir, epochs=2)
    args = ['tools/train.py', QUICKSTART, '--seed', '0', '--cfg-options', *options]
    reference = tmp_path / 'uninterrupted'
    run_tool(args + ['--work-dir', reference])

    interrupted = tmp_path / 'interrupted'
    process = subprocess.Popen([sys.executable] + [str(a) for a in args + ['--work-dir', interrupted]],
                               cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not (interrupted / 'last_checkpoint').exists() and time.time() < deadline and process.poll() is None:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert (interrupted / 'epoch_1.pth').exists(), 'the run ended before its first checkpoint'
    assert not (interrupted / 'epoch_2.pth').exists(), 'the run finished before it could be killed'

    run_tool(args + ['--work-dir', interrupted, '--resume'])
    expected, resumed = final_weights(reference), final_weights(interrupted)
    assert expected.keys() == resumed.keys()
    for key in expected:
        assert torch.allclose(expected[key], resumed[key], atol=1e-6), key
