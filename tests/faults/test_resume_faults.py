"""Item 5: resume and checkpoints cannot be fooled.

The end-to-end case kills a training process in the middle of writing its
second checkpoint (SIGKILL from inside ``os.fsync`` of that file's temporary
copy), then resumes it in-process and checks where it continued from.
"""
import logging
import os
import os.path as osp
import signal
import stat

import pytest
import torch
from fault_tools import QUICKSTART, REPO, fault_data_dir, run_python, tiny_run_options  # noqa: F401  (fixture)
from mmengine.logging import MMLogger
from mmengine.runner.checkpoint import _load_checkpoint

from mesh_recovery.engine import setup_checkpoint_loading
from mesh_recovery.engine.checkpoint import UnsafeCheckpointError
from mesh_recovery.engine.resume import (NothingToResumeError, remove_stale_temporary_files,
                                         resolve_resume_checkpoint)
from mesh_recovery.utils.atomic import atomic_write_bytes

# Runs tools/train.py, killing itself while the temporary file of epoch_2.pth is being synced.
KILLER = '''
import os, signal, sys
real_fsync = os.fsync
def fsync(fd):
    if '.epoch_2.pth.' in os.readlink(f'/proc/self/fd/{fd}'):
        os.kill(os.getpid(), signal.SIGKILL)
    real_fsync(fd)
os.fsync = fsync
sys.argv = ['tools/train.py'] + sys.argv[1:]
sys.path.insert(0, 'tools')
import train
train.main(sys.argv[1:])
'''

# These tests read mmengine checkpoints with mmengine's own loader (weights-only, logging objects allowed).
setup_checkpoint_loading()


def _save(path, step=1):
    torch.save({'state_dict': {'w': torch.full((2, ), float(step))}, 'meta': {'epoch': step}}, path)


@pytest.fixture
def warnings_log():
    logger = MMLogger.get_current_instance()
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


def test_kill_during_checkpoint_write_then_resume(fault_data_dir, tmp_path, capfd):
    work_dir = tmp_path / 'work'
    # One iteration per epoch; checkpoints without optimizer states are a third of the size (faster to write).
    options = tiny_run_options(fault_data_dir, 2) + ['train_dataloader.batch_size=8',
                                                 'default_hooks.checkpoint.save_optimizer=False']
    args = [QUICKSTART, '--work-dir', work_dir, '--seed', '0', '--no-validate', '--cfg-options', *options]
    killed = run_python(['-c', KILLER] + args)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    leftovers = [f for f in os.listdir(work_dir) if f.startswith('.epoch_2.pth.') and f.endswith('.tmp')]
    assert leftovers and not (work_dir / 'epoch_2.pth').exists()
    assert (work_dir / 'last_checkpoint').read_text() == 'epoch_1.pth'  # relative, complete

    # The user moves the work dir before resuming: the relative pointer still resolves.
    moved = tmp_path / 'moved'
    os.rename(work_dir, moved)
    import sys
    sys.path.insert(0, str(REPO / 'tools'))
    import train
    train.main([QUICKSTART, '--work-dir', str(moved), '--resume', '--seed', '0', '--no-validate',
                '--cfg-options', *options])
    assert not [f for f in os.listdir(moved) if f.endswith('.tmp')], 'temporary files were not removed'
    log = capfd.readouterr().out
    assert 'removed 1 temporary file(s) of an interrupted checkpoint write' in log
    assert f'Load checkpoint from {moved / "epoch_1.pth"}' in log and 'resumed epoch: 1' in log
    final = torch.load(moved / 'epoch_2.pth', map_location='cpu', weights_only=True)
    assert final['meta']['epoch'] == 2
    assert (moved / 'last_checkpoint').read_text() == 'epoch_2.pth'


def test_corrupt_latest_falls_back_to_newest_loadable_with_a_warning(tmp_path, warnings_log):
    for step in (1, 2, 3):
        _save(tmp_path / f'epoch_{step}.pth', step)
    (tmp_path / 'epoch_3.pth').write_bytes((tmp_path / 'epoch_3.pth').read_bytes()[:100])
    (tmp_path / 'last_checkpoint').write_text('epoch_3.pth')
    assert resolve_resume_checkpoint(str(tmp_path)) == str(tmp_path / 'epoch_2.pth')
    [warning] = [r.getMessage() for r in warnings_log if 'cannot be used' in r.getMessage()]
    assert 'epoch_3.pth' in warning and 'epoch_2.pth' in warning


def test_pointer_to_old_location_or_empty_pointer_still_resumes(tmp_path):
    _save(tmp_path / 'epoch_1.pth', 1)
    _save(tmp_path / 'epoch_2.pth', 2)
    (tmp_path / 'last_checkpoint').write_text('/somewhere/else/work_dirs/run/epoch_1.pth')
    assert resolve_resume_checkpoint(str(tmp_path)) == str(tmp_path / 'epoch_1.pth')
    (tmp_path / 'last_checkpoint').write_text('')  # a pointer cut short by a crash
    assert resolve_resume_checkpoint(str(tmp_path)) == str(tmp_path / 'epoch_2.pth')


def test_nothing_to_resume_is_said_plainly(tmp_path, warnings_log):
    assert resolve_resume_checkpoint(str(tmp_path)) is None
    assert any('nothing to resume' in r.getMessage() for r in warnings_log)
    (tmp_path / 'epoch_1.pth').write_bytes(b'')
    with pytest.raises(NothingToResumeError, match='epoch_1.pth: checkpoint .* is empty'):
        resolve_resume_checkpoint(str(tmp_path))


def test_stale_temporary_files_are_removed_and_others_kept(tmp_path):
    (tmp_path / '.epoch_4.pth.abc123.tmp').write_bytes(b'partial')
    (tmp_path / 'notes.tmp').write_text('mine')
    assert [osp.basename(p) for p in remove_stale_temporary_files(str(tmp_path))] == ['.epoch_4.pth.abc123.tmp']
    assert (tmp_path / 'notes.tmp').exists()


@pytest.mark.parametrize('umask, mode', [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_checkpoint_permissions_follow_the_umask(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        atomic_write_bytes(b'weights', tmp_path / 'epoch_1.pth')
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / 'epoch_1.pth').st_mode) == mode


class _Exploit:
    def __reduce__(self):
        return (os.system, ('echo pwned',))


def test_resume_reads_are_weights_only_even_when_the_environment_says_otherwise(tmp_path, monkeypatch):
    path = tmp_path / 'epoch_1.pth'
    with open(path, 'wb') as handle:
        torch.save({'state_dict': {}, 'payload': _Exploit()}, handle)
    monkeypatch.setenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')
    # mmengine's own loading path (Runner.resume, init_cfg pretrained) goes through read_checkpoint.
    with pytest.raises(UnsafeCheckpointError, match='refusing to load'):
        _load_checkpoint(str(path), map_location='cpu')
