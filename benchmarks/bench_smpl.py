"""SMPL layer speed: ours against smplx.SMPLLayer on the same model and threads.

Both layers pose the same model with the same random shapes and rotation
matrices; forward (no grad) and forward+backward (gradients w.r.t. betas and
pose) are timed at several batch sizes, interleaving the two implementations
round by round so that load from other processes hits both alike. Outputs and
gradients are compared. Timings are the minimum over rounds (the least disturbed
run); medians are printed too.

Model: ``--model PATH`` (any SMPL-format .pkl/.npz), else models/smpl/SMPL_NEUTRAL.pkl
if present, else a synthetic model with SMPL's sizes (6890 vertices, 24 joints,
dense random posedirs, each vertex skinned by up to 4 neighbouring joints of the tree,
as in SMPL) written in the official pickle layout.

``--reference`` runs our layer with ``fast_cpu=False`` (the reference ``lbs`` at every batch
size), so two runs show what the fast path adds at each batch size.

Run: ``python benchmarks/bench_smpl.py [--batches 1,64,512] [--threads N] [--rounds R] [--reference]``.
The last line is ``RESULT smpl_speedup_b64=X``: forward at batch 64, smplx time / ours.
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
# Runnable from a source checkout without installing the package.
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / 'tests' / 'body_models'))
from mesh_recovery.body_models import SMPL, load_body_model_data  # noqa: E402
from mesh_recovery.geometry.rotation import axis_angle_to_matrix  # noqa: E402


def model_path(arg: str, tmp_dir: str) -> str:
    """The model to benchmark: the argument, the user's SMPL, or a synthetic one."""
    if arg:
        return arg
    real = ROOT / 'models' / 'smpl' / 'SMPL_NEUTRAL.pkl'
    if real.is_file():
        return str(real)
    from synthetic_smpl import make_smpl_arrays, write_official_pickle
    return write_official_pickle(Path(tmp_dir) / 'SMPL_NEUTRAL.pkl', make_smpl_arrays(num_vertices=6890))


def build_smplx(path: str):
    """smplx.SMPLLayer over the arrays our loader read (smplx needs chumpy for pickles)."""
    import smplx
    from smplx.utils import Struct
    from smplx.vertex_ids import vertex_ids
    data = load_body_model_data(path)
    kintree = np.stack([data.parents, np.arange(data.num_joints)])
    struct = Struct(v_template=data.v_template, shapedirs=data.shapedirs, posedirs=data.posedirs,
                    J_regressor=data.J_regressor, weights=data.weights, kintree_table=kintree, f=data.faces)
    # smplx appends joints at fixed SMPL vertex ids; keep them in range for other meshes.
    ids = {k: int(v) % data.num_vertices for k, v in vertex_ids['smplh'].items()}
    return smplx.SMPLLayer(model_path='', data_struct=struct, vertex_ids=ids)


def interleaved(fns: Dict[str, Callable[[], None]], rounds: int) -> Dict[str, List[float]]:
    """Seconds per call of each function, alternating between them every round."""
    times = {name: [] for name in fns}
    for fn in fns.values():  # warm-up
        fn()
    for _ in range(rounds):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return times


def make_calls(ours: SMPL, ref, betas: torch.Tensor, rotmats: torch.Tensor) -> Dict[str, Callable]:
    def ours_fwd():
        with torch.no_grad():
            return ours(betas, rotmats)

    def ref_fwd():
        with torch.no_grad():
            return ref(betas=betas, global_orient=rotmats[:, :1], body_pose=rotmats[:, 1:])

    def backward(run_ours: bool):
        b, r = betas.clone().requires_grad_(), rotmats.clone().requires_grad_()
        if run_ours:
            out = ours(b, r)
            verts, joints = out.vertices, out.joints_smpl
        else:
            out = ref(betas=b, global_orient=r[:, :1], body_pose=r[:, 1:])
            verts, joints = out.vertices, out.joints[:, :ours.num_joints]
        (verts.square().sum() + joints.square().sum()).backward()
        return b.grad, r.grad

    return {'ours_fwd': ours_fwd, 'smplx_fwd': ref_fwd,
            'ours_bwd': lambda: backward(True), 'smplx_bwd': lambda: backward(False)}


def compare(calls: Dict[str, Callable], num_joints: int) -> str:
    ours, ref = calls['ours_fwd'](), calls['smplx_fwd']()
    dv = (ours.vertices - ref.vertices).abs().max().item()
    dj = (ours.joints_smpl - ref.joints[:, :num_joints]).abs().max().item()
    (gb_o, gr_o), (gb_r, gr_r) = calls['ours_bwd'](), calls['smplx_bwd']()
    rel = max(((gb_o - gb_r).abs().max() / gb_r.abs().max()).item(),
              ((gr_o - gr_r).abs().max() / gr_r.abs().max()).item())
    return f'max|dvert| {dv:.1e} m, max|djoint| {dj:.1e} m, grad rel diff {rel:.1e}'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--model', default='', help='SMPL-format model file (default: see module doc)')
    parser.add_argument('--batches', default='1,64,512')
    parser.add_argument('--threads', type=int, default=torch.get_num_threads())
    parser.add_argument('--rounds', type=int, default=0, help='timing rounds (default: by batch size)')
    parser.add_argument('--reference', action='store_true', help='our layer with fast_cpu=False')
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        path = model_path(args.model, tmp)
        ours, ref = SMPL(path, fast_cpu=not args.reference), build_smplx(path)
    print(f'model {path} (V={ours.num_vertices}, fast_cpu={ours.fast_cpu}), torch {torch.__version__}, '
          f'threads {args.threads}, '
          'times in ms (min / median over interleaved rounds)')
    header = f"{'batch':>5} {'pass':>8} {'ours':>17} {'smplx':>17} {'speedup':>8}"
    print(header)
    headline = None
    for batch in (int(b) for b in args.batches.split(',')):
        betas = torch.randn(batch, ours.num_betas)
        rotmats = axis_angle_to_matrix(torch.randn(batch, ours.num_joints, 3) * 0.6)
        calls = make_calls(ours, ref, betas, rotmats)
        # Enough rounds (about 10 s per batch size) for the minimum to find quiet moments on a shared machine.
        rounds = args.rounds or max(5, min(100, 6000 // batch))
        times = interleaved(calls, rounds)
        stats = {k: (min(v) * 1e3, float(np.median(v)) * 1e3) for k, v in times.items()}
        for mode, label in (('fwd', 'forward'), ('bwd', 'fwd+bwd')):
            o, r = stats[f'ours_{mode}'], stats[f'smplx_{mode}']
            print(f'{batch:>5} {label:>8} {o[0]:8.2f} /{o[1]:7.2f} {r[0]:8.2f} /{r[1]:7.2f} {r[0] / o[0]:7.2f}x')
            if batch == 64 and mode == 'fwd':
                headline = r[0] / o[0]
        print(f'{batch:>5} {"check":>8} {compare(calls, ours.num_joints)}')
    if headline is None:
        raise SystemExit('batch 64 was not measured; include it in --batches for the RESULT line')
    print(f'RESULT smpl_speedup_b64={headline:.2f}')


if __name__ == '__main__':
    main()
