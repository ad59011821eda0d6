"""Every config in configs/ trains a few iterations and evaluates, on the session's synthetic data.

The real datasets and SMPL are absent here, so each annotation file is replaced by
the synthetic one of the same role (training images, test images, MoSh prior),
limited to four samples, and SMPL by the free body model; everything else (model,
pipelines, optimizers, schedules, hooks) is the config's own.
"""
import math
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mesh_recovery.registry import RUNNERS

REPO = Path(__file__).resolve().parents[2]
CONFIGS = sorted(p for p in (REPO / 'configs').rglob('*.py') if '_base_' not in p.parts)
FREE_BODY = REPO / 'models' / 'free_body'
SYNTHETIC = dict(train='synthetic_train.npz', test='synthetic_test.npz', mosh='synthetic_mosh.npz')


def use_synthetic_data(node, role: str, data_dir: str) -> None:
    """Point every dataset under ``node`` at the synthetic file of its role, four samples each."""
    if isinstance(node, list):
        for value in node:
            use_synthetic_data(value, role, data_dir)
        return
    if not isinstance(node, dict):
        return
    if 'ann_file' in node:
        is_prior = node.get('type') == 'MoshDataset'
        node['ann_file'] = 'mesh_annotation_files/' + SYNTHETIC['mosh' if is_prior else role]
        node['data_root'] = data_dir
        if not is_prior:
            node.pop('img_prefix', None)
            node['data_prefix'] = dict(img='')
            node['indices'] = 4
    for value in node.values():
        use_synthetic_data(value, role, data_dir)


def use_free_body(cfg: Config) -> None:
    if not (REPO / cfg.model.smpl.smpl_path).exists():
        cfg.model.smpl.smpl_path = str(FREE_BODY / 'body_model.npz')
        cfg.model.smpl.joints_regressor = str(FREE_BODY / 'joints_regressor_spin24.npy')
        cfg.model.mesh_head.smpl_mean_params = str(FREE_BODY / 'mean_params.npz')


def shrink_huge_backbones(cfg: Config) -> None:
    """Two CPU iterations plus checkpoints of 80-630M-parameter backbones take minutes: ViTs keep
    their width (the head's in_channels) with one block; HRNets become HRNet-W18-small (the same
    2048-channel output). tests/test_configs.py builds the configs' own backbones (ViT-H at depth 1)."""
    backbone = cfg.model.backbone
    if backbone.get('type') != 'TimmBackbone':
        return
    if backbone.model_name.startswith('vit_'):
        backbone.model_kwargs = dict(backbone.get('model_kwargs') or {}, depth=1)
    elif backbone.model_name.startswith('hrnet_'):
        backbone.model_name = 'hrnet_w18_small'


@pytest.mark.parametrize('path', CONFIGS, ids=[p.stem for p in CONFIGS])
def test_config_trains_and_evaluates(path, synthetic_data_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    init_default_scope('mesh_recovery')
    cfg = Config.fromfile(str(path))
    use_free_body(cfg)
    shrink_huge_backbones(cfg)
    use_synthetic_data(cfg.train_dataloader.dataset, 'train', str(synthetic_data_dir))
    for loader in ('val_dataloader', 'test_dataloader'):
        use_synthetic_data(cfg[loader].dataset, 'test', str(synthetic_data_dir))
    cfg.merge_from_dict({
        'work_dir': str(tmp_path), 'experiment_name': f'{path.stem}-{tmp_path.name}',
        'train_dataloader.batch_size': 2, 'train_dataloader.num_workers': 0,
        'train_dataloader.persistent_workers': False, 'test_dataloader.batch_size': 2,
        'test_dataloader.num_workers': 0, 'train_cfg.max_epochs': 1, 'train_cfg.val_interval': 2,
        'default_hooks.logger.interval': 1})
    cfg.val_dataloader = cfg.test_dataloader
    runner = RUNNERS.build(cfg)
    runner.train()
    losses = runner.message_hub.log_scalars['train/loss'].data[0]
    assert len(losses) == 2 and all(math.isfinite(v) for v in losses)
    assert (tmp_path / 'epoch_1.pth').is_file()
    metrics = runner.test()
    assert 0 < metrics['MPJPE'] < 2000 and 0 < metrics['MPJPE-PA'] <= metrics['MPJPE'] + 1e-6
