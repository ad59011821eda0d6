"""Cost of one full HMR train step against a bare ResNet-50 step, on the same batch.

Ours: ``ParametricMesh.train_step`` (ResNet-50 + HMR head + SMPL discriminator,
data preprocessing, body-model forward for prediction and ground truth, mesh and
adversarial losses, one discriminator and one generator Adam step).
Baseline: torchvision ResNet-50 forward + backward + Adam step on the same
(already normalised) images. Both run in this process, interleaved step by step,
with channels_last off and on.

    python benchmarks/bench_train_step.py [--batch 32] [--img-res 224] [--steps 4] [--threads N]

Last line: ``RESULT train_step_overhead=X`` (ours / bare, channels_last off,
the default configuration).
"""
import argparse
import os.path as osp
import sys
import tempfile
from pathlib import Path
from typing import Callable, Dict, List

import numpy as np
import torch
import torchvision

sys.path.insert(0, str(Path(__file__).resolve().parent))  # _common, also when imported from elsewhere
from _common import FREE_BODY, MEAN, STD, interleaved_times, normalised, train_batch  # noqa: E402

from mesh_recovery.engine import MultiOptimWrapperConstructor  # noqa: E402
from mesh_recovery.registry import MODELS  # noqa: E402


def body_model_files(tmp: str) -> Dict[str, str]:
    """The shipped free body model, or a random SMPL-sized stand-in if it is absent."""
    model, regressor = osp.join(FREE_BODY, 'body_model.npz'), osp.join(FREE_BODY, 'joints_regressor_spin24.npy')
    if osp.isfile(model) and osp.isfile(regressor):
        return dict(smpl_path=model, joints_regressor=regressor, mean=osp.join(FREE_BODY, 'mean_params.npz'))
    from mesh_recovery.conventions import smpl_parents
    rng = np.random.default_rng(0)
    verts, parents = 6890, np.asarray(smpl_parents())
    weights = rng.uniform(size=(verts, 24)).astype(np.float32)
    np.savez(osp.join(tmp, 'SMPL_NEUTRAL.npz'), v_template=rng.normal(size=(verts, 3)).astype(np.float32),
             shapedirs=rng.normal(size=(verts, 3, 10)).astype(np.float32) * 0.01,
             posedirs=rng.normal(size=(verts, 3, 207)).astype(np.float32) * 0.001,
             J_regressor=np.full((24, verts), 1.0 / verts, np.float32), weights=weights / weights.sum(1, keepdims=True),
             kintree_table=np.stack([parents, np.arange(24)]), f=rng.integers(0, verts, (13776, 3)))
    np.save(osp.join(tmp, 'reg.npy'), np.full((24, verts), 1.0 / verts, np.float32))
    return dict(smpl_path=osp.join(tmp, 'SMPL_NEUTRAL.npz'), joints_regressor=osp.join(tmp, 'reg.npy'), mean=None)


def ours_step(files: Dict[str, str], batch: dict, channels_last: bool) -> Callable[[], None]:
    model = MODELS.build(dict(
        type='ParametricMesh',
        backbone=dict(type='ResNet', depth=50, channels_last=channels_last),
        mesh_head=dict(type='HMRMeshHead', in_channels=2048, smpl_mean_params=files['mean']),
        smpl=dict(type='SMPL', smpl_path=files['smpl_path'], joints_regressor=files['joints_regressor']),
        discriminator=dict(type='SMPLDiscriminator'), loss_gan=dict(type='GANLoss', gan_type='lsgan'),
        loss_mesh=dict(type='MeshLoss'),
        data_preprocessor=dict(type='ImgDataPreprocessor', mean=MEAN, std=STD, bgr_to_rgb=True))).train()
    wrappers = MultiOptimWrapperConstructor(dict(
        generator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=2.5e-4)),
        discriminator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4))))(model)
    return lambda: model.train_step(batch, wrappers)


def bare_step(batch: dict, channels_last: bool) -> Callable[[], None]:
    net = torchvision.models.resnet50(weights=None).train()
    x = normalised(batch['inputs'])
    if channels_last:
        net, x = net.to(memory_format=torch.channels_last), x.contiguous(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(net.parameters(), lr=2.5e-4)

    def step():
        optimizer.zero_grad()
        net(x).mean().backward()
        optimizer.step()
    return step


def measure(files, batch, channels_last: bool, steps: int, warmup: int) -> Dict[str, List[float]]:
    runs = {'ours': ours_step(files, batch, channels_last), 'bare': bare_step(batch, channels_last)}
    return interleaved_times(runs, steps, warmup)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--batch', type=int, default=32)
    parser.add_argument('--img-res', type=int, default=224)
    parser.add_argument('--steps', type=int, default=4, help='timed steps per variant')
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--threads', type=int, default=None,
                        help='torch intra-op threads (default: torch\'s); 1 is steadier on a shared machine')
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    batch = train_batch(args.batch, args.img_res)
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads, batch {args.batch}, '
          f'{args.img_res}x{args.img_res}, ResNet-50, CPU; best of {args.steps} steps after {args.warmup} warm-up')
    ratios = {}
    with tempfile.TemporaryDirectory() as tmp:
        files = body_model_files(tmp)
        print(f'body model: {files["smpl_path"]}')
        for channels_last in (False, True):
            times = measure(files, batch, channels_last, args.steps, args.warmup)
            # The minimum is the least load-sensitive estimate on a shared machine.
            ours, bare = min(times['ours']), min(times['bare'])
            print(f'  times (s): ours {[round(t, 2) for t in times["ours"]]}, bare {[round(t, 2) for t in times["bare"]]}')
            ratios[channels_last] = ours / bare
            print(f'channels_last={channels_last!s:5}  ours {ours:6.2f} s/step ({args.batch / ours:5.2f} img/s)  '
                  f'bare {bare:6.2f} s/step ({args.batch / bare:5.2f} img/s)  ratio {ours / bare:.3f}')
    print(f'ratio with channels_last on: {ratios[True]:.3f}')
    print(f'RESULT train_step_overhead={ratios[False]:.3f}')


if __name__ == '__main__':
    main()
