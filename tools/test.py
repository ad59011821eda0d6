"""Evaluate a checkpoint on a config's test set.

Examples:
    python tools/test.py configs/mesh/hmr/hmr_resnet_50.py \
        models/pytorch/hmr/hmr_mesh_224x224-c21e8229_20201015.pth --eval=joint_error
    ./tools/dist_test.sh CONFIG CHECKPOINT 8 --eval=joint_error --out results.pkl
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.config import Config  # noqa: E402

from mesh_recovery.engine.cli import add_common_args, apply_common_args  # noqa: E402
from mesh_recovery.engine.distributed import configure_launch, init_cpu_distributed  # noqa: E402
from mesh_recovery.evaluation.finite_guard import FiniteGuard, check_test_results  # noqa: E402
from mesh_recovery.registry import RUNNERS  # noqa: E402
from mesh_recovery.utils.errors import run_main  # noqa: E402
from mesh_recovery.utils.files import load_config  # noqa: E402

# ``--eval`` names (mmpose 0.x's joint_error and the protocols') -> evaluator configs.
from mesh_recovery.evaluation.eval_names import EVAL_NAMES, eval_metric_configs  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Evaluate a mesh recovery checkpoint')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file (ours or mmpose 0.x)')
    parser.add_argument(
        '--eval', nargs='+', default=None, choices=EVAL_NAMES,
        help='metrics to compute (default: the config\'s test_evaluator)')
    parser.add_argument('--out', help='write the per-sample predictions to this .pkl file')
    parser.add_argument('--exclude-nonfinite', action='store_true',
                        help='score only the samples whose predictions and ground truth are finite (warns with '
                        'the count); by default such samples stop the test with their indices')
    add_common_args(parser)
    return parser.parse_args(argv)


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Apply command-line options to the config."""
    apply_common_args(cfg, args, args.config)
    evaluators = eval_metric_configs(args.eval, cfg) if args.eval else cfg.get('test_evaluator')
    if not evaluators:
        raise ValueError(f'{args.config} has no test_evaluator; pass --eval joint_error')
    evaluators = list(evaluators) if isinstance(evaluators, (list, tuple)) else [evaluators]
    if args.out:
        if not args.out.endswith(('.pkl', '.pickle')):
            raise ValueError(f'--out must be a .pkl file, got {args.out}')
        evaluators.append(dict(type='DumpResults', out_file_path=args.out))
    cfg.test_evaluator = evaluators
    # The checkpoint is loaded by mesh_recovery's own loader (mmpose key mapping, weights only).
    cfg.load_from = None
    cfg.setdefault('custom_hooks', [])
    cfg.custom_hooks = list(cfg.custom_hooks) + [dict(type='ProgressBarHook')]
    configure_launch(cfg, args.launcher)
    return cfg


def print_metrics(metrics: dict) -> None:
    """Print the final metrics as a two-column table."""
    width = max([len('metric')] + [len(k) for k in metrics])
    lines = [f'{"metric":<{width}}  value', f'{"-" * width}  ----------']
    lines += [f'{k:<{width}}  {v:.2f}' if isinstance(v, float) else f'{k:<{width}}  {v}' for k, v in metrics.items()]
    print('\n'.join(lines), flush=True)


def main(argv=None) -> dict:
    args = parse_args(argv)
    cfg = merge_args(load_config(args.config), args)
    # First, so the other metrics never average a NaN sample into a reported figure.
    cfg.test_evaluator = [dict(type='FiniteGuard', exclude=args.exclude_nonfinite)] + list(cfg.test_evaluator)
    from mesh_recovery.utils.asset_check import assert_assets_present
    assert_assets_present(cfg, mode='test', checkpoint=args.checkpoint)
    init_cpu_distributed(args.launcher)
    runner = RUNNERS.build(cfg)
    from mesh_recovery.engine.checkpoint import load_checkpoint
    load_checkpoint(runner.model, args.checkpoint)
    metrics = runner.test()
    if runner.rank == 0:
        guard = next((m for m in runner.test_evaluator.metrics if isinstance(m, FiniteGuard)), None)
        metrics = check_test_results(metrics, guard, runner.test_dataloader.dataset)
        print_metrics(metrics)
    return metrics


if __name__ == '__main__':
    sys.exit(run_main(main))
