"""Training throughput per config: one full train step against the bare backbone's step.

For every config in ``configs/mesh/`` (or those named by ``--configs``), the model is
built as the config says (the free body model where SMPL is absent) with the
config's optimizer wrappers, and two steps are timed on the same synthetic batch:

- ours: ``model.train_step`` (data preprocessing, backbone, head, body model for
  prediction and ground truth, losses, one discriminator and one generator update);
- bare: the config's backbone built again (same input size, channels_last and
  autocast settings) forward + backward + one step of the config's generator
  optimizer wrapper over its parameters, on the already normalised images.

The two alternate step by step, so load from other processes hits both alike; the
best of ``--steps`` is kept. Configs that differ only in data share one measurement.
On CPU each config runs as configured. On CUDA (``--device cuda``) each runs in
float32 and under automatic mixed precision (``AmpOptimWrapper`` with bfloat16 and
float16 autocast, for both steps; a backbone's own ``autocast_dtype`` is switched
off in all three), each with channels_last off and on.

Run: ``python benchmarks/bench_train_throughput.py [--configs NAME ...] [--batch 8] [--steps 3]
[--max-params M] [--device cpu|cuda] [--variants auto|configured|all] [--threads N]``.
On CPU, backbones over ``--max-params`` million parameters (default 60: HRNet-W48 with
75M, ViT-B/16 with 86M, ViT-H/16 with 631M) are skipped unless ``--configs`` names them,
so that the default run takes a few minutes on 2 cores (a ViT-H/16 step takes minutes
there and its training state ~20 GB). The last line is ``RESULT train_overhead_max=X``:
the largest ours / bare time ratio (target <= 1.15).
"""
import argparse
import copy
import math
import sys
from pathlib import Path
from typing import Callable, Dict, List, NamedTuple, Optional

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))  # _common, also when imported from elsewhere
from _common import build_model, config_paths, interleaved_times, normalised, train_batch, unique_configs  # noqa
from mmengine.optim import build_optim_wrapper  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402

from mesh_recovery.registry import MODELS  # noqa: E402


class Variant(NamedTuple):
    """``precision``: None (as configured), 'fp32', or an ``AmpOptimWrapper`` dtype;
    ``channels_last``: None (as configured) or the backbone's setting."""
    name: str
    precision: Optional[str]
    channels_last: Optional[bool]


CONFIGURED = [Variant('as configured', None, None)]
ALL = [Variant(f'{name} channels_last={int(cl)}', precision, cl)
       for name, precision in (('fp32', 'fp32'), ('amp-bf16', 'bfloat16'), ('amp-fp16', 'float16'))
       for cl in (False, True)]


def backbone_params(cfg) -> int:
    """Parameters of the config's backbone, built on the meta device (no memory, no init time)."""
    with torch.device('meta'):
        return sum(p.numel() for p in MODELS.build(copy.deepcopy(cfg.model.backbone)).parameters())


def variant_config(cfg, variant: Variant):
    """A copy of the config with the variant's precision and channels_last setting."""
    cfg = copy.deepcopy(cfg)
    if variant.channels_last is not None:
        cfg.model.backbone.channels_last = variant.channels_last
    if variant.precision is not None:
        if 'autocast_dtype' in cfg.model.backbone:  # the variant, not the backbone, decides
            cfg.model.backbone.autocast_dtype = None
        if variant.precision != 'fp32':
            for part in ('generator', 'discriminator'):
                cfg.optim_wrapper[part].update(type='AmpOptimWrapper', dtype=variant.precision)
    return cfg


def to_device(batch: dict, device: torch.device) -> dict:
    return dict(inputs=batch['inputs'].to(device),
                data_samples={k: v.to(device) for k, v in batch['data_samples'].items()})


def steps(cfg, batch_size: int, device: torch.device) -> Dict[str, Callable[[], None]]:
    """The two step functions of one config: ``ours`` and ``bare``."""
    model, img_res = build_model(cfg)
    model = model.to(device).train()
    wrappers = build_optim_wrapper(model, cfg.optim_wrapper)
    batch = to_device(train_batch(batch_size, img_res), device)
    net = MODELS.build(copy.deepcopy(cfg.model.backbone)).to(device).train()
    bare_wrapper = build_optim_wrapper(net, cfg.optim_wrapper.generator.to_dict())
    images = normalised(batch['inputs'])

    def ours():
        model.train_step(batch, wrappers)

    def bare():
        with bare_wrapper.optim_context(net):
            loss = sum(out.float().mean() for out in net(images))
        bare_wrapper.update_params(loss)
    return dict(ours=ours, bare=bare)


def measure(path: Path, cfg, args, variant: Variant, device: torch.device) -> float:
    """Print one row (images per second of both steps, their time ratio) and return the ratio."""
    torch.manual_seed(0)
    times = interleaved_times(steps(variant_config(cfg, variant), args.batch, device), args.steps, args.warmup,
                              device)
    # The minimum is the least load-sensitive estimate on a shared machine.
    ours, bare = min(times['ours']), min(times['bare'])
    spread = ', '.join(f'{name} {min(t):.3f}-{max(t):.3f}' for name, t in times.items())
    print(f'{path.stem:44s} {cfg.train_dataloader.batch_size:4d} {variant.name:24s} {args.batch / ours:8.2f} '
          f'{args.batch / bare:8.2f} {ours / bare:6.3f}   (s/step {spread})', flush=True)
    return ours / bare


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--configs', nargs='*', default=[], help='only configs whose file name contains one of these')
    parser.add_argument('--batch', type=int, default=8, help='images per step (the configs train with 32-48)')
    parser.add_argument('--steps', type=int, default=3, help='timed steps of each kind')
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--max-params', type=float, default=None,
                        help='skip backbones over this many million parameters unless --configs names them '
                        '(default: 60 on CPU, no limit on CUDA)')
    parser.add_argument('--device', default='cpu', help="'cpu' or 'cuda' (or 'cuda:N')")
    parser.add_argument('--variants', choices=('auto', 'configured', 'all'), default='auto',
                        help="'configured': as the config says; 'all': fp32, AMP bfloat16 and float16, each "
                        "with channels_last off and on; 'auto': configured on CPU, all on CUDA")
    parser.add_argument('--threads', type=int, default=None)
    return parser.parse_args(argv)


def main() -> None:
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    if device.type == 'cuda' and not torch.cuda.is_available():
        raise SystemExit(f'--device {args.device}: torch {torch.__version__} sees no CUDA device here')
    use_all = args.variants == 'all' or (args.variants == 'auto' and device.type == 'cuda')
    variants = ALL if use_all else CONFIGURED
    if use_all and device.type == 'cpu':
        # mmengine's AmpOptimWrapper asserts an accelerator; on CPU bfloat16 is a backbone's autocast_dtype.
        variants = [v for v in variants if v.precision == 'fp32']
        print('note: AMP variants need an accelerator (AmpOptimWrapper); on CPU only the float32 ones run')
    max_params = args.max_params if args.max_params is not None else (60.0 if device.type == 'cpu' else math.inf)
    init_default_scope('mesh_recovery')
    where = torch.cuda.get_device_name(device) if device.type == 'cuda' else f'CPU, {torch.get_num_threads()} threads'
    print(f'torch {torch.__version__}, {where}; batch {args.batch} at each config\'s input size, '
          f'best of {args.steps} steps after {args.warmup} warm-up')
    print(f'{"config":44s} {"cfg":>4s} {"variant":24s} {"ours":>8s} {"bare":>8s} {"ratio":>6s}   (images/s; '
          'cfg: the config\'s own batch; ratio = time ours / bare)')
    worst = 0.0
    for path, cfg, same_as in unique_configs(config_paths(args.configs, under='configs/mesh')):
        if same_as:
            print(f'{path.stem:44s} same model and optimizers as {same_as}')
            continue
        millions = backbone_params(cfg) / 1e6
        if millions > max_params and not args.configs:
            print(f'{path.stem:44s} skipped: backbone {millions:.0f}M parameters > --max-params {max_params:g} '
                  f'(measure it with --configs {path.stem})')
            continue
        for variant in variants:
            worst = max(worst, measure(path, cfg, args, variant, device))
    print(f'RESULT train_overhead_max={worst:.3f}')


if __name__ == '__main__':
    main()
