"""Common config experiments through tools/train.py: the mistakes are caught, the conveniences work."""
import json

import pytest
import torch
from mmengine.config import Config

from conftest import QUICKSTART, REPO, run_tool, tiny_run_options  # noqa: F401  (tests/tools/conftest.py)


def test_mismatched_crop_resolution_stops_before_training(synthetic_data_dir, tmp_path):
    result = run_tool(['tools/train.py', QUICKSTART, '--work-dir', tmp_path / 'work', '--cfg-options',
                       *tiny_run_options(synthetic_data_dir), 'model.img_res=160'], check=False, timeout=300)
    assert result.returncode != 0
    assert 'model.img_res=160' in result.stderr
    assert 'train_dataloader.dataset.train_dataset.pipeline[2].img_res=128' in result.stderr
    assert not (tmp_path / 'work' / 'epoch_1.pth').exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason='--amp is valid where a GPU is visible')
def test_amp_without_a_gpu_points_to_autocast_dtype(tmp_path):
    result = run_tool(['tools/train.py', QUICKSTART, '--work-dir', tmp_path / 'work', '--amp'], check=False,
                      timeout=300)
    assert result.returncode != 0
    assert '--amp needs a CUDA GPU' in result.stderr and 'model.backbone.autocast_dtype=auto' in result.stderr


def test_save_best_auto_with_tensorboard_and_ema(synthetic_data_dir, tmp_path):
    pytest.importorskip('tensorboard', reason='TensorBoard is the optional extra: pip install -e ".[tensorboard]"')
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    config = tmp_path / 'experiment.py'
    config.write_text(
        f"_base_ = ['{REPO / QUICKSTART}', '{REPO / 'configs/_base_/visualizers/tensorboard.py'}']\n"
        "default_hooks = dict(checkpoint=dict(save_best='auto'))\n"
        "custom_hooks = [dict(type='EMAHook', momentum=0.01)]\n")
    work_dir = tmp_path / 'work'
    options = [o for o in tiny_run_options(synthetic_data_dir) if not o.startswith('train_cfg.val_interval')]
    run_tool(['tools/train.py', config, '--work-dir', work_dir, '--cfg-options', *options, 'train_cfg.val_interval=1'])

    best = sorted(work_dir.glob('best_*.pth'))
    assert [p.name for p in best] == ['best_MPJPE_epoch_1.pth']
    hook_table = next(work_dir.glob('*/*.log')).read_text()
    assert all(name in hook_table for name in ('EMAHook', 'FiniteLossHook', 'RNGStateHook'))
    log = next(work_dir.glob('*/vis_data/scalars.json')).read_text().splitlines()
    assert any('MPJPE' in json.loads(line) for line in log)
    events = list(work_dir.glob('*/vis_data/events.out.tfevents.*'))
    assert events, 'TensorboardVisBackend wrote no event file'
    accumulator = EventAccumulator(str(events[0].parent))
    accumulator.Reload()
    tags = accumulator.Tags()['scalars']
    assert {'generator.lr', 'discriminator.lr', 'loss', 'MPJPE-PA'} <= set(tags), tags
    # The first logged step is the first of the linear warm-up: the peak rate times its start factor.
    cfg = Config.fromfile(str(REPO / QUICKSTART))
    first_lr = cfg.optim_wrapper.generator.optimizer.lr * cfg.param_scheduler.generator[0].start_factor
    assert accumulator.Scalars('generator.lr')[0].value == pytest.approx(first_lr, rel=1e-6)
