"""The benchmarks' shared helpers build what they claim to measure (no timings are asserted)."""
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

BENCHMARKS = Path(__file__).resolve().parents[2] / 'benchmarks'
sys.path.insert(0, str(BENCHMARKS))
import _common  # noqa: E402
import bench_models  # noqa: E402
import bench_train_throughput  # noqa: E402


def test_configs_differing_only_in_data_are_measured_once():
    paths = _common.config_paths(['hmr_resnet50_8xb32', 'cliff_resnet50'], under='configs/mesh')
    same = {path.stem: same_as for path, _, same_as in _common.unique_configs(paths)}
    assert same['hmr_resnet50_8xb32-100e_mix6-224x224'] is None
    assert same['cliff_resnet50_8xb32-100e_mix6-224x224'] is None  # another head: measured
    for protocol in ('_h36m-p1', '_mpi-inf-3dhp', '_pw3d'):
        assert same['hmr_resnet50_8xb32-100e_mix6-224x224' + protocol] == 'hmr_resnet50_8xb32-100e_mix6-224x224'


def test_unknown_config_name_is_a_clear_error():
    with pytest.raises(SystemExit, match='no config under .* matches'):
        _common.config_paths(['no_such_config'])


def test_missing_smpl_files_fall_back_to_the_free_body_model_with_absolute_paths():
    cfg = _common.load_config(_common.config_paths(['hmr_resnet50_8xb32-100e_mix6-224x224.py'])[0])
    if (_common.ROOT / 'models' / 'smpl').exists():
        pytest.skip('the licensed SMPL files are installed here')
    assert cfg.model.smpl.smpl_path == str(_common.FREE_BODY / 'body_model.npz')
    cfg = _common.load_config(_common.config_paths(['hmr_resnet18_synthetic_quickstart'])[0])
    assert Path(cfg.model.smpl.smpl_path).is_absolute() and Path(cfg.model.smpl.smpl_path).exists()
    assert Path(cfg.model.mesh_head.smpl_mean_params).is_absolute()


def test_train_batch_carries_every_key_the_losses_and_cliff_read():
    batch = _common.train_batch(3, 64)
    assert batch['inputs'].shape == (3, 3, 64, 64) and batch['inputs'].dtype == torch.uint8
    shapes = {k: tuple(v.shape) for k, v in batch['data_samples'].items()}
    assert shapes == {'gt_keypoints_2d': (3, 24, 3), 'gt_keypoints_3d': (3, 24, 4), 'gt_pose': (3, 72),
                      'gt_betas': (3, 10), 'has_smpl': (3, ), 'gender': (3, ), 'mosh_theta': (3, 85),
                      'center': (3, 2), 'scale': (3, ), 'ori_shape': (3, 2), 'focal_length': (3, )}
    # The bare step's input is what ImgDataPreprocessor makes of the crops.
    from mmengine.model import ImgDataPreprocessor
    preprocessor = ImgDataPreprocessor(mean=_common.MEAN, std=_common.STD, bgr_to_rgb=True)
    expected = preprocessor(dict(inputs=list(batch['inputs'])), True)['inputs']
    torch.testing.assert_close(_common.normalised(batch['inputs']), expected)


def test_variants_set_precision_and_memory_format_for_both_steps():
    cfg = _common.load_config(_common.config_paths(['hmr_resnet18_synthetic_quickstart'])[0])
    assert cfg.model.backbone.autocast_dtype == 'auto' and cfg.model.backbone.channels_last is True
    by_name = {v.name: bench_train_throughput.variant_config(cfg, v) for v in bench_train_throughput.ALL}
    assert len(by_name) == 6
    fp16 = by_name['amp-fp16 channels_last=0']
    assert fp16.model.backbone.autocast_dtype is None and fp16.model.backbone.channels_last is False
    assert {fp16.optim_wrapper[p].type for p in ('generator', 'discriminator')} == {'AmpOptimWrapper'}
    assert fp16.optim_wrapper.generator.dtype == 'float16'
    fp32 = by_name['fp32 channels_last=1']
    assert fp32.model.backbone.autocast_dtype is None and fp32.model.backbone.channels_last is True
    assert fp32.optim_wrapper.generator.type == 'OptimWrapper'
    configured = bench_train_throughput.variant_config(cfg, bench_train_throughput.CONFIGURED[0])
    assert configured.model.to_dict() == cfg.model.to_dict() and cfg.optim_wrapper.generator.type == 'OptimWrapper'


class _CountingModel:
    """Records which of the model's parts each timed pass calls."""

    def __init__(self):
        self.calls = []

    def backbone(self, x):
        self.calls.append('backbone')

    def extract(self, x, samples):
        self.calls.append('extract')
        return SimpleNamespace(pred_betas=None, pred_rotmat=None)

    def smpl(self, betas, pose):
        self.calls.append('smpl')


@pytest.mark.parametrize('parts', [False, True])
def test_model_passes_time_what_they_name(parts):
    model = _CountingModel()
    best = bench_models.best_times(model, img_res=8, batch=2, repeats=3, parts=parts)
    assert set(best) == ({'whole', 'bare', 'extract'} if parts else {'whole', 'bare'})
    # One warm-up and three timed rounds; each round runs whole (extract, then the body
    # model), the bare backbone and, with parts, extract alone.
    rounds = 4
    assert model.calls.count('smpl') == rounds
    assert model.calls.count('backbone') == rounds
    assert model.calls.count('extract') == rounds * (2 if parts else 1)
    assert model.calls[:3] == ['extract', 'smpl', 'backbone']
