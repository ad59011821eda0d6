"""Every config in configs/ trains a few iterations and evaluates, on the session's synthetic data.

The real datasets and SMPL are absent here, so each annotation file is replaced by
the synthetic one of the same role (training images, Human3.6M-like, 3DPW-like or
3DHP-like test images, MoSh prior), limited to two samples, and SMPL by the free
body model (in the model and in the protocol metrics); everything else (model,
pipelines, optimizers, schedules, hooks, metrics) is the config's own.
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
# Test sets whose protocol needs more keys than the Human3.6M-like one has.
PROTOCOL_TEST_FILES = dict(Mesh3DPWDataset='synthetic_3dpw_test.npz', MeshMPIINF3DHPDataset='synthetic_3dhp_test.npz')
# Human3.6M test sets use mmpose's real four-image fixture: the per-action metric parses Human3.6M image names.
H36M_FIXTURE = REPO.parent / 'shared' / 'fixtures' / 'mmpose_v0.29' / 'h36m'
SAMPLES = 2


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
        name = SYNTHETIC['mosh' if is_prior else role]
        node['ann_file'] = 'mesh_annotation_files/' + PROTOCOL_TEST_FILES.get(node.get('type'), name)
        node['data_root'] = data_dir
        if role == 'test' and node.get('type') == 'MeshH36MDataset':
            node['ann_file'], node['data_root'] = 'test_h36m.npz', str(H36M_FIXTURE)
        if not is_prior:
            node.pop('img_prefix', None)
            node['data_prefix'] = dict(img='')
            node['indices'] = SAMPLES
    for value in node.values():
        use_synthetic_data(value, role, data_dir)


def use_synthetic_evaluators(cfg: Config, data_dir: Path) -> None:
    """Protocol metrics read the test set's annotation file and pose meshes with the free body model."""
    for key in ('val_evaluator', 'test_evaluator'):
        metrics = cfg.get(key)
        for metric in metrics if isinstance(metrics, list) else [metrics]:
            if 'ann_file' in metric:
                dataset = cfg[key.replace('evaluator', 'dataloader')].dataset
                metric['ann_file'] = str(Path(dataset.data_root) / dataset.ann_file)
            if 'smpl_path' in metric and not (REPO / metric['smpl_path']).exists():
                metric['smpl_path'] = str(FREE_BODY)


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
    if not (H36M_FIXTURE / 'test_h36m.npz').is_file():
        pytest.skip(f'real-format fixture missing: {H36M_FIXTURE}')
    monkeypatch.chdir(REPO)
    init_default_scope('mesh_recovery')
    cfg = Config.fromfile(str(path))
    use_free_body(cfg)
    shrink_huge_backbones(cfg)
    use_synthetic_data(cfg.train_dataloader.dataset, 'train', str(synthetic_data_dir))
    for loader in ('val_dataloader', 'test_dataloader'):
        use_synthetic_data(cfg[loader].dataset, 'test', str(synthetic_data_dir))
    use_synthetic_evaluators(cfg, synthetic_data_dir)
    cfg.merge_from_dict({
        'work_dir': str(tmp_path), 'experiment_name': f'{path.stem}-{tmp_path.name}',
        # Batches of one: two iterations of the full-size networks are what a CPU can afford here.
        'train_dataloader.batch_size': 1, 'train_dataloader.num_workers': 0,
        'train_dataloader.persistent_workers': False, 'test_dataloader.batch_size': 1,
        'test_dataloader.num_workers': 0, 'train_cfg.max_epochs': 1, 'train_cfg.val_interval': 2,
        'default_hooks.logger.interval': 1})
    cfg.val_dataloader = cfg.test_dataloader
    runner = RUNNERS.build(cfg)
    runner.train()
    losses = runner.message_hub.log_scalars['train/loss'].data[0]
    assert len(losses) == 2 and all(math.isfinite(v) for v in losses)
    assert (tmp_path / 'epoch_1.pth').is_file()
    metrics = runner.test()
    errors = {k: v for k, v in metrics.items() if k.split('/')[-1] in ('MPJPE', 'MPJPE-PA', 'PVE')}
    assert errors and all(0 < v < 2000 for v in errors.values()), metrics
