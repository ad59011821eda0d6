"""Model cost per config: parameters, and inference time per image against the bare backbone.

For every config in ``configs/`` (or those whose name contains ``--filter``), the
model is built as the config says (the free body model where SMPL is absent), in
eval mode, and timed on random crops of its input size: the whole inference
(backbone, head, body model; CLIFF heads with a batch's box information) against
the bare backbone on the same input. Model and backbone passes alternate, so
load from other processes hits both alike; the best of ``--repeats`` rounds is
kept for each.

Run: ``python benchmarks/bench_models.py [--batch-sizes 1 32] [--repeats 3] [--filter NAME] [--threads N]``.
The last line is ``RESULT head_overhead_max=X``: the largest model time over its
bare backbone time (target <= 1.2).
"""
import argparse
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from mmengine.config import Config  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402

from mesh_recovery.registry import MODELS  # noqa: E402

FREE_BODY = ROOT / 'models' / 'free_body'


def build(path: Path):
    cfg = Config.fromfile(str(path))
    smpl = cfg.model.smpl
    if not (ROOT / smpl.smpl_path).exists():
        smpl.smpl_path = str(FREE_BODY / 'body_model.npz')
        smpl.joints_regressor = str(FREE_BODY / 'joints_regressor_spin24.npy')
        cfg.model.mesh_head.smpl_mean_params = str(FREE_BODY / 'mean_params.npz')
    return MODELS.build(cfg.model).eval(), int(cfg.model.get('img_res', 224))


def box_samples(batch: int, img_res: int) -> dict:
    return dict(center=torch.full((batch, 2), 320.0), scale=torch.full((batch, ), 1.5),
                ori_shape=torch.tensor([[480.0, 640.0]]).repeat(batch, 1), focal_length=torch.full((batch, ), 800.0))


def best_times(model, img_res: int, batch: int, repeats: int):
    x = torch.randn(batch, 3, img_res, img_res)
    samples = box_samples(batch, img_res)

    def whole():
        pred = model.extract(x, samples)
        model.smpl(betas=pred.pred_betas, pose=pred.pred_rotmat)

    def bare():
        model.backbone(x)

    times = {whole: [], bare: []}
    with torch.inference_mode():
        whole(), bare()  # warm-up
        for _ in range(repeats):
            for fn in (whole, bare):
                start = time.perf_counter()
                fn()
                times[fn].append(time.perf_counter() - start)
    return min(times[whole]) / batch, min(times[bare]) / batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--batch-sizes', type=int, nargs='+', default=[1, 32])
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--filter', default='', help='only configs whose file name contains this')
    parser.add_argument('--threads', type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    init_default_scope('mesh_recovery')
    configs = sorted(p for p in (ROOT / 'configs').rglob('*.py') if '_base_' not in p.parts and args.filter in p.name)
    worst = 0.0
    print(f'{"config":58s} {"params(M)":>9s} {"batch":>5s} {"model ms/img":>12s} {"backbone ms/img":>15s} {"ratio":>6s}')
    for path in configs:
        torch.manual_seed(0)
        model, img_res = build(path)
        params = sum(p.numel() for name, p in model.named_parameters() if not name.startswith('discriminator.'))
        for batch in args.batch_sizes:
            whole, bare = best_times(model, img_res, batch, args.repeats)
            ratio = whole / bare
            worst = max(worst, ratio)
            print(f'{path.stem:58s} {params / 1e6:9.1f} {batch:5d} {whole * 1e3:12.1f} {bare * 1e3:15.1f} {ratio:6.3f}',
                  flush=True)
        del model
    print(f'RESULT head_overhead_max={worst:.3f}')


if __name__ == '__main__':
    main()
