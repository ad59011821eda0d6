"""Train a mesh recovery model from a config file.

Examples:
    python tools/train.py configs/mesh/hmr/hmr_resnet_50.py --work-dir work_dirs/hmr
    ./tools/dist_train.sh configs/mesh/hmr/hmr_resnet_50.py 8 --work-dir work_dirs/hmr --no-validate
"""
import argparse
import os.path as osp
import sys

# Running ``python tools/train.py`` from a source checkout must not depend on an install.
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402

from mesh_recovery.engine.cli import add_common_args, apply_common_args  # noqa: E402
from mesh_recovery.engine.distributed import configure_launch, init_cpu_distributed  # noqa: E402
from mesh_recovery.registry import RUNNERS  # noqa: E402
from mesh_recovery.utils.errors import BadValueError, run_main  # noqa: E402
from mesh_recovery.utils.files import load_config  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a mesh recovery model')
    parser.add_argument('config', help='train config file path')
    resume = parser.add_mutually_exclusive_group()
    resume.add_argument(
        '--resume', nargs='?', const='auto', default=None, metavar='CHECKPOINT',
        help='resume training; without a path, from the latest checkpoint in the work dir')
    resume.add_argument('--resume-from', metavar='CHECKPOINT', help='resume from this checkpoint (mmpose 0.x spelling)')
    parser.add_argument('--no-validate', action='store_true', help='do not evaluate checkpoints during training')
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision (GPU)')
    parser.add_argument('--seed', type=int, default=None, help='random seed')
    parser.add_argument('--deterministic', action='store_true', help='deterministic cuDNN / algorithms')
    add_common_args(parser)
    return parser.parse_args(argv)


def _use_amp(cfg: Config) -> None:
    optim = cfg.optim_wrapper
    # A single wrapper has an ``optimizer``; a wrapper dict has one per model part.
    wrappers = [optim] if 'optimizer' in optim else [w for w in optim.values() if isinstance(w, dict)]
    for wrapper in wrappers:
        wrapper['type'] = 'AmpOptimWrapper'
        wrapper.setdefault('loss_scale', 'dynamic')


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Apply command-line options to the config."""
    apply_common_args(cfg, args, args.config)
    checkpoint = args.resume_from or args.resume
    if checkpoint is not None:
        cfg.resume = True
        cfg.load_from = None if checkpoint == 'auto' else checkpoint
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    if args.amp:
        if not torch.cuda.is_available():
            raise BadValueError(
                '--amp needs a CUDA GPU (mmengine\'s AmpOptimWrapper); none is visible. On a CPU use the '
                "backbone's bfloat16 instead: --cfg-options model.backbone.autocast_dtype=auto")
        _use_amp(cfg)
    if args.seed is not None or args.deterministic:
        randomness = dict(cfg.get('randomness', {}))
        if args.seed is not None:
            randomness['seed'] = args.seed
        randomness['deterministic'] = args.deterministic
        cfg.randomness = randomness
    configure_launch(cfg, args.launcher)
    return cfg


def main(argv=None) -> None:
    args = parse_args(argv)
    cfg = merge_args(load_config(args.config), args)
    from mesh_recovery.utils.asset_check import assert_assets_present
    assert_assets_present(cfg, mode='train')
    init_cpu_distributed(args.launcher)
    # Before the dataloader workers fork: keep decoded images off mmap/munmap.
    from mesh_recovery.datasets.allocator import tune_malloc_for_images
    tune_malloc_for_images()
    runner = RUNNERS.build(cfg)
    runner.train()


if __name__ == '__main__':
    sys.exit(run_main(main))
