"""mmengine checkpoints load with weights_only=True; code-carrying pickles are still refused."""
import os
import pickle

import pytest
import torch
import torch.nn as nn
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset

from mesh_recovery.engine import read_checkpoint, register_checkpoint_safe_globals, setup_checkpoint_loading
from mesh_recovery.engine.safe_globals import history_buffer_getattr

# mmengine's Runner (not MeshRunner) resumes below: prepare loading explicitly, as its users would.
setup_checkpoint_loading()


class _Points(Dataset):

    def __len__(self):
        return 8

    def __getitem__(self, index):
        g = torch.Generator().manual_seed(index)
        x = torch.randn(3, generator=g)
        return dict(inputs=x, data_samples=x.sum(0, keepdim=True))


class _Regressor(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(3, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        pred = self.linear(inputs)
        if mode == 'loss':
            return dict(loss=((pred - data_samples) ** 2).mean())
        return pred


def _runner(work_dir, max_epochs, resume_from=None):
    return Runner(
        model=_Regressor(), work_dir=str(work_dir),
        train_dataloader=dict(dataset=_Points(), batch_size=4, sampler=dict(type='DefaultSampler', shuffle=True),
                              collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='Adam', lr=1e-2)),
        param_scheduler=dict(type='MultiStepLR', milestones=[1], by_epoch=True),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1),
                           logger=dict(type='LoggerHook', interval=1)),
        randomness=dict(seed=0), experiment_name=f'{work_dir.name}-{max_epochs}',
        resume=resume_from is not None, load_from=resume_from,
        default_scope='mesh_recovery')


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('safe_globals')
    _runner(work_dir, max_epochs=1).train()
    return work_dir, work_dir / 'epoch_1.pth'


def test_mmengine_checkpoint_loads_weights_only(checkpoint):
    _, path = checkpoint
    ckpt = torch.load(path, weights_only=True)
    buffer = ckpt['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    assert len(buffer.data[0]) == 2 and buffer.mean() == pytest.approx(buffer.data[0].mean())
    assert ckpt['meta']['epoch'] == 1 and ckpt['meta']['iter'] == 2


def test_without_the_allow_list_loading_fails(checkpoint):
    _, path = checkpoint
    saved = torch.serialization.get_safe_globals()
    torch.serialization.clear_safe_globals()
    try:
        with pytest.raises(pickle.UnpicklingError, match='HistoryBuffer'):
            torch.load(path, weights_only=True)
    finally:
        torch.serialization.add_safe_globals(saved)
        register_checkpoint_safe_globals()


def test_runner_resumes(checkpoint):
    work_dir, path = checkpoint
    runner = _runner(work_dir / 'resumed', max_epochs=2, resume_from=str(path))
    runner.train()
    assert runner.iter == 4 and runner.epoch == 2
    # The loss history of the first epoch was restored and extended.
    assert len(runner.message_hub.get_scalar('train/loss').data[0]) == 4


class _Evil:

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}',)


class _EvilGetattr:

    def __reduce__(self):
        return getattr, (HistoryBuffer, '__init__')


def test_code_executing_pickle_is_refused(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'payload': _Evil(marker)}, path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)
    with pytest.raises(pickle.UnpicklingError, match='refusing to load'):
        read_checkpoint(str(path))
    assert not marker.exists()


def test_getattr_is_limited_to_history_buffer_statistics(tmp_path):
    path = tmp_path / 'getattr.pth'
    torch.save({'payload': _EvilGetattr()}, path)
    with pytest.raises(pickle.UnpicklingError, match='refusing getattr'):
        torch.load(path, weights_only=True)
    assert history_buffer_getattr(HistoryBuffer, 'mean') is HistoryBuffer.mean
    with pytest.raises(pickle.UnpicklingError):
        history_buffer_getattr(os, 'system')



def test_importing_the_package_changes_no_global_state():
    """Safe globals and mmengine's checkpoint loaders are untouched until setup_checkpoint_loading()."""
    import subprocess
    import sys
    script = (
        'import torch\n'
        'from mmengine.runner.checkpoint import CheckpointLoader\n'
        # torch adds its own classes (DTensor, ...) when its submodules are imported; only others count.
        'def foreign():\n'
        '    objs = [g[0] if isinstance(g, tuple) else g for g in torch.serialization.get_safe_globals()]\n'
        '    return {repr(o) for o in objs if not getattr(o, "__module__", "").startswith("torch")}\n'
        'before = (foreign(), dict(CheckpointLoader._schemes))\n'
        'import mesh_recovery, mesh_recovery.engine, mesh_recovery.models, mesh_recovery.datasets\n'
        'import mesh_recovery.evaluation, mesh_recovery.apis\n'
        'after = (foreign(), dict(CheckpointLoader._schemes))\n'
        'assert after == before, (before, after)\n'
        'mesh_recovery.engine.setup_checkpoint_loading()\n'
        'assert foreign() > before[0] and CheckpointLoader._schemes[""] is not before[1][""]\n'
        'print("ok")\n')
    result = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True, timeout=300)
    assert result.stdout.strip() == 'ok', result.stderr[-2000:]
