"""Model cost per config: parameters, and inference time per image against the bare backbone.

For every config in ``configs/`` (or those whose name contains ``--filter``), the
model is built as the config says (the free body model where SMPL is absent), in
eval mode, and timed on random crops of its input size: the whole inference
(backbone, head, body model; CLIFF heads with a batch's box information) against
the bare backbone on the same input. Model and backbone passes alternate, so
load from other processes hits both alike; the best of ``--repeats`` rounds is
kept for each. Configs that differ only in data are measured once.

``--parts`` also times ``extract`` (backbone and head) in the same rotation and
prints where the overhead goes, from the best times: the head after the backbone
(extract - backbone) and the body model after the head (whole - extract).

Run: ``python benchmarks/bench_models.py [--batch-sizes 1 32] [--repeats 3] [--filter NAME] [--threads N] [--parts]``.
The last line is ``RESULT head_overhead_max=X``: the largest model time over its
bare backbone time (target <= 1.2).
"""
import argparse
import sys
from pathlib import Path
from typing import Dict

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))  # _common, also when imported from elsewhere
from _common import box_samples, build_model, config_paths, interleaved_times, unique_configs  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402


def best_times(model, img_res: int, batch: int, repeats: int, parts: bool = False) -> Dict[str, float]:
    """Best seconds per image of ``whole`` and ``bare`` (and ``extract`` with ``parts``)."""
    x = torch.randn(batch, 3, img_res, img_res)
    samples = box_samples(batch)

    def whole():
        pred = model.extract(x, samples)
        model.smpl(betas=pred.pred_betas, pose=pred.pred_rotmat)

    def bare():
        model.backbone(x)

    runs = dict(whole=whole, bare=bare)
    if parts:
        runs['extract'] = lambda: model.extract(x, samples)
    with torch.inference_mode():
        times = interleaved_times(runs, repeats, warmup=1)
    return {name: min(values) / batch for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--batch-sizes', type=int, nargs='+', default=[1, 32])
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--filter', default='', help='only configs whose file name contains this')
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--parts', action='store_true', help='also print head and body-model ms per image')
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    init_default_scope('mesh_recovery')
    configs = config_paths([args.filter] if args.filter else ())
    worst = 0.0
    print(f'{"config":58s} {"params(M)":>9s} {"batch":>5s} {"model ms/img":>12s} {"backbone ms/img":>15s} {"ratio":>6s}'
          + (f' {"head ms/img":>11s} {"body ms/img":>11s}' if args.parts else ''))
    for path, cfg, same_as in unique_configs(configs):
        if same_as:
            print(f'{path.stem:58s} same model as {same_as}')
            continue
        torch.manual_seed(0)
        model, img_res = build_model(cfg)
        model.eval()
        params = sum(p.numel() for name, p in model.named_parameters() if not name.startswith('discriminator.'))
        for batch in args.batch_sizes:
            best = best_times(model, img_res, batch, args.repeats, args.parts)
            whole, bare = best['whole'], best['bare']
            ratio = whole / bare
            worst = max(worst, ratio)
            split = (f' {(best["extract"] - bare) * 1e3:11.2f} {(whole - best["extract"]) * 1e3:11.2f}'
                     if args.parts else '')
            print(f'{path.stem:58s} {params / 1e6:9.1f} {batch:5d} {whole * 1e3:12.1f} {bare * 1e3:15.1f} {ratio:6.3f}'
                  + split, flush=True)
        del model
    print(f'RESULT head_overhead_max={worst:.3f}')


if __name__ == '__main__':
    main()
