from types import SimpleNamespace

import pytest
import torch

from mesh_recovery.engine import FiniteLossHook


def runner_at(iteration, epoch=0):
    return SimpleNamespace(iter=iteration, epoch=epoch)


def test_finite_losses_pass():
    FiniteLossHook().after_train_iter(runner_at(3), 3, outputs=dict(loss=torch.tensor(1.5), loss_adv=0.2))


@pytest.mark.parametrize('bad', [float('nan'), float('inf')])
def test_non_finite_loss_names_iteration_and_terms(bad):
    outputs = dict(loss=torch.tensor(bad), loss_joints_3d=torch.tensor(bad), loss_vertex=torch.tensor(0.5),
                   acc_something=torch.tensor(bad))
    with pytest.raises(FloatingPointError) as error:
        FiniteLossHook().after_train_iter(runner_at(41, epoch=2), 41, outputs=outputs)
    message = str(error.value)
    assert 'iteration 42' in message and 'epoch 3' in message
    assert "['loss', 'loss_joints_3d']" in message and 'loss_vertex=0.5' in message
    assert 'acc_something' not in message  # only loss terms are checked


def test_hook_runs_before_the_checkpoint_hook():
    from mmengine.hooks import CheckpointHook
    from mmengine.runner.priority import get_priority
    assert get_priority(FiniteLossHook.priority) < get_priority(CheckpointHook.priority)
