"""CPU inference speed of the ResNet-50 HMR model, PyTorch eager and onnxruntime, against the bare backbone.

For each runtime, the whole model (crop normalisation, ResNet-50, the HMR head's
three iterations, the SMPL layer with its joint regressor, the camera
translation: ``mesh_recovery.apis.onnx_export.ExportableMesh``) and the bare
ResNet-50 backbone (on normalised crops) are timed on the same random 224 x 224
crops: per-image latency at batch 1 and throughput at batch 32. PyTorch runs
under ``torch.no_grad`` (so SMPL takes its fast CPU path at batch 32); the
onnxruntime models are the exported graphs (SMPL's reference path, see
docs/deployment.md). Calls alternate between the variants round by round so
that load from other processes hits them alike; the minimum over rounds is kept
(medians printed too).

Body model: ``models/smpl`` (SMPL_NEUTRAL.pkl, joints_regressor_cmr.npy,
smpl_mean_params.npz) when present, else a synthetic model with SMPL's sizes
(6890 vertices, dense posedirs, 4 skinning influences per vertex), a random
(24, 6890) regressor and the free body model's mean parameters: the cost is SMPL's.

Run: ``python benchmarks/bench_inference.py [--rounds R] [--threads N] [--skip-onnx]``.
The last line is ``RESULT inference_over_backbone=X``: the whole PyTorch model
over the bare PyTorch backbone, the larger of the batch-1 and batch-32 ratios
(target X <= 1.15). The whole model is the backbone followed by the rest (crop
normalisation, head, SMPL), so X is computed as (backbone + rest) / backbone from
the minima of the backbone and of the rest, each timed on its own (``pytorch
rest`` runs the head and SMPL on the backbone's features): on a shared machine a
short call catches a quiet moment far more often than a long one, and the ratio
of the end-to-end minima swings with the load (it is printed too, with the
ratio of medians).
"""
import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / 'tests' / 'body_models'))
from mesh_recovery.apis import init_model  # noqa: E402
from mesh_recovery.apis.onnx_export import (ExportableMesh, example_crops, export_onnx,  # noqa: E402
                                            onnxruntime_session)

CONFIG = ROOT / 'configs/mesh/hmr/hmr_resnet_50.py'
BATCHES = (1, 32)


def body_model_options(tmp_dir: str) -> dict:
    """``--cfg-options`` for the SMPL files: the user's, or synthetic SMPL-sized ones."""
    real = ROOT / 'models' / 'smpl'
    if all((real / n).is_file() for n in ('SMPL_NEUTRAL.pkl', 'joints_regressor_cmr.npy', 'smpl_mean_params.npz')):
        return {}
    from synthetic_smpl import make_smpl_arrays, write_official_pickle
    folder = Path(tmp_dir)
    write_official_pickle(folder / 'SMPL_NEUTRAL.pkl', make_smpl_arrays(num_vertices=6890, seed=0))
    rng = np.random.default_rng(0)
    regressor = rng.random((24, 6890)) * (rng.random((24, 6890)) < 0.01)
    np.save(folder / 'regressor.npy', regressor / regressor.sum(1, keepdims=True))
    return {'model.smpl.smpl_path': str(folder), 'model.smpl.joints_regressor': str(folder / 'regressor.npy'),
            'model.mesh_head.smpl_mean_params': str(ROOT / 'models/free_body/mean_params.npz')}


class BareBackbone(torch.nn.Module):
    """The backbone alone, as exported for onnxruntime."""

    def __init__(self, backbone: torch.nn.Module) -> None:
        super().__init__()
        self.backbone = backbone

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.backbone(inputs)[-1]


def interleaved(fns: Dict[str, Callable[[], object]], rounds: int) -> Dict[str, List[float]]:
    """Seconds per call of each function, alternating between them every round (after one warm-up)."""
    times = {name: [] for name in fns}
    for fn in fns.values():
        fn()
    for _ in range(rounds):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return times


def onnx_calls(model, tmp_dir: str, threads: int) -> Dict[str, Callable]:
    """onnxruntime sessions of the whole model and of the bare backbone."""
    whole_path = export_onnx(model, str(Path(tmp_dir) / 'whole.onnx'), source=str(CONFIG))
    bare_path = str(Path(tmp_dir) / 'backbone.onnx')
    with torch.no_grad():
        torch.onnx.export(BareBackbone(model.backbone), (example_crops(224, 2), ), bare_path, dynamo=False,
                          input_names=['inputs'], output_names=['features'],
                          dynamic_axes={'inputs': {0: 'batch'}, 'features': {0: 'batch'}})
    return dict(whole=onnxruntime_session(whole_path, num_threads=threads),
                bare=onnxruntime_session(bare_path, num_threads=threads))


def measure(model, sessions, batch: int, rounds: int) -> Dict[str, List[float]]:
    crops = example_crops(224, batch, seed=batch)
    wrapper = ExportableMesh(model).eval()
    normalised = (crops - wrapper.mean) / wrapper.std
    fns = {}

    def pt_whole():
        with torch.no_grad():
            return wrapper(crops)

    def pt_bare():
        with torch.no_grad():
            return model.backbone(normalised)

    with torch.no_grad():
        features = model.backbone(normalised)

    def pt_rest():
        # Everything the whole model adds to the backbone: normalisation, head, SMPL, translation.
        with torch.no_grad():
            (crops - wrapper.mean) / wrapper.std
            head = model.mesh_head(features)
            model.smpl(betas=head.pred_betas, pose=head.pred_rotmat)

    fns['pytorch whole'], fns['pytorch backbone'], fns['pytorch rest'] = pt_whole, pt_bare, pt_rest
    if sessions:
        crops_np, normalised_np = crops.numpy(), normalised.numpy()
        fns['onnxruntime whole'] = lambda: sessions['whole'].run(None, {'crops': crops_np})
        fns['onnxruntime backbone'] = lambda: sessions['bare'].run(None, {'inputs': normalised_np})
    return interleaved(fns, rounds)


def report(batch: int, times: Dict[str, List[float]]) -> Dict[str, float]:
    best = {name: min(t) for name, t in times.items()}
    print(f'\nbatch {batch} ({len(next(iter(times.values())))} rounds):')
    for name, t in times.items():
        per_image_ms = 1e3 * best[name] / batch
        print(f'  {name:<22} {1e3 * best[name]:9.1f} ms/call (median {1e3 * float(np.median(t)):9.1f})  '
              f'{per_image_ms:7.2f} ms/image  {batch / best[name]:7.1f} images/s')
    median = {name: float(np.median(t)) for name, t in times.items()}
    for runtime in ('pytorch', 'onnxruntime'):
        if f'{runtime} whole' in best:
            print(f'  {runtime}: whole / backbone = {best[f"{runtime} whole"] / best[f"{runtime} backbone"]:.3f} '
                  f'(minima), {median[f"{runtime} whole"] / median[f"{runtime} backbone"]:.3f} (medians)')
    print(f'  pytorch: (backbone + rest) / backbone = {1 + best["pytorch rest"] / best["pytorch backbone"]:.3f} '
          '(minima)')
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--rounds', type=int, default=0, help='rounds per batch size (0: 15 at batch 1, 5 at 32)')
    parser.add_argument('--threads', type=int, default=0, help='torch and onnxruntime threads (0: torch default)')
    parser.add_argument('--skip-onnx', action='store_true', help='PyTorch only')
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    threads = torch.get_num_threads()
    with tempfile.TemporaryDirectory() as tmp_dir:
        torch.manual_seed(0)
        model = init_model(CONFIG, cfg_options=body_model_options(tmp_dir))
        print(f'ResNet-50 HMR, {model.smpl.num_vertices} vertices, {threads} threads, torch {torch.__version__}')
        sessions = None if args.skip_onnx else onnx_calls(model, tmp_dir, threads)
        ratios = []
        for batch in BATCHES:
            rounds = args.rounds or (15 if batch == 1 else 5)
            best = report(batch, measure(model, sessions, batch, rounds))
            ratios.append(1 + best['pytorch rest'] / best['pytorch backbone'])
    print(f'RESULT inference_over_backbone={max(ratios):.3f}')


if __name__ == '__main__':
    main()
