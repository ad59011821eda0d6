"""Every config in configs/ builds: its model, its optimizer wrappers and its datasets.

tests/tools/test_configs_train.py also trains each for a few iterations on synthetic data.
"""
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

from mesh_recovery.registry import DATASETS, MODELS

REPO = Path(__file__).resolve().parents[1]
CONFIGS = sorted(p for p in (REPO / 'configs').rglob('*.py') if '_base_' not in p.parts)
FREE_BODY = REPO / 'models' / 'free_body'


def use_free_body_where_smpl_is_missing(cfg: Config) -> None:
    """The licensed SMPL files are absent here; a tiny stand-in with the same interface is the free model."""
    smpl = cfg.model.smpl
    if not (REPO / smpl.smpl_path).exists():
        smpl.smpl_path = str(FREE_BODY / 'body_model.npz')
        smpl.joints_regressor = str(FREE_BODY / 'joints_regressor_spin24.npy')
        cfg.model.mesh_head.smpl_mean_params = str(FREE_BODY / 'mean_params.npz')


def set_lazy(dataset_cfg) -> None:
    """Build annotation-backed datasets lazily (the real annotation files are absent here)."""
    if isinstance(dataset_cfg, dict):
        if 'ann_file' in dataset_cfg or dataset_cfg.get('type') == 'MeshMixDataset':
            dataset_cfg['lazy_init'] = True
        for value in dataset_cfg.values():
            set_lazy(value)
    elif isinstance(dataset_cfg, list):
        for value in dataset_cfg:
            set_lazy(value)


def shrink_huge_backbones(cfg: Config) -> None:
    """ViT-H (632M parameters) keeps its width and head but only one of its 32 blocks here."""
    backbone = cfg.model.backbone
    if backbone.get('type') == 'TimmBackbone' and 'vit_huge' in backbone.model_name:
        backbone.model_kwargs = dict(backbone.get('model_kwargs') or {}, depth=1)


@pytest.mark.parametrize('path', CONFIGS, ids=[p.stem for p in CONFIGS])
def test_config_builds(path, monkeypatch):
    monkeypatch.chdir(REPO)
    init_default_scope('mesh_recovery')
    cfg = Config.fromfile(str(path))
    use_free_body_where_smpl_is_missing(cfg)
    shrink_huge_backbones(cfg)
    model = MODELS.build(cfg.model)
    wrappers = build_optim_wrapper(model, cfg.optim_wrapper)
    if model.discriminator is not None:
        assert set(wrappers.keys()) == {'generator', 'discriminator'}
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(loader):
            dataset_cfg = cfg[loader].dataset.to_dict()
            set_lazy(dataset_cfg)
            dataset = DATASETS.build(dataset_cfg)
            assert type(dataset).__name__ == dataset_cfg['type']
            if 'ann_file' in dataset_cfg:
                assert dataset.ann_file.endswith(dataset_cfg['ann_file'])
