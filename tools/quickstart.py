"""The main job: from a fresh checkout to a trained, evaluated HMR model on CPU.

    python tools/quickstart.py

1. loads the committed free body model (models/free_body/);
2. generates the synthetic dataset under data/synthetic/ if it is absent;
3. trains configs/mesh/cliff/cliff_resnet18_synthetic_quickstart.py (HMR with CLIFF's box
   information, ResNet-18 at 128x128, from scratch, 6 epochs);
4. evaluates the last checkpoint with ``--eval=joint_error`` and prints MPJPE /
   MPJPE-PA beside a mean-pose baseline (the mean parameters predicted for every
   image) on the same test set, then the same checkpoint with 3DPW's protocol
   (gendered ground truth; MPJPE, MPJPE-PA, PVE) on the 3DPW-like test set,
   beside its mean-pose baseline;
5. writes a contact sheet of predictions on test images and a plot of the
   training losses into the work dir (``test_contact_sheet.png``,
   ``training_losses.png``) and prints their paths.
"""
import argparse
import importlib.util
import os
import os.path as osp
import subprocess
import sys
import time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

CONFIG = 'configs/mesh/cliff/cliff_resnet18_synthetic_quickstart.py'
# The same model scored with 3DPW's protocol on the 3DPW-like synthetic set.
PW3D_CONFIG = 'configs/mesh/cliff/cliff_resnet18_synthetic_pw3d.py'
DATA_DIR = 'data/synthetic'
FREE_BODY = 'models/free_body'


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train and evaluate HMR on the built-in synthetic data')
    parser.add_argument('--work-dir', default='work_dirs/quickstart')
    parser.add_argument('--num-train', type=int, default=10000, help='synthetic training images')
    parser.add_argument('--num-test', type=int, default=500, help='synthetic test images')
    parser.add_argument('--num-prior', type=int, default=20000, help='poses in the adversarial prior')
    parser.add_argument('--num-pw3d-test', type=int, default=300,
                        help='synthetic 3DPW-like test images (gendered ground truth, MPJPE / MPJPE-PA / PVE)')
    parser.add_argument('--epochs', type=int, default=None, help='override the config\'s max_epochs')
    parser.add_argument('--data-dir', default=DATA_DIR, help='synthetic data folder (used by every step)')
    return parser.parse_args(argv)


def load_tool(name: str):
    """Import ``tools/NAME.py`` as a module (tools/ is not a package)."""
    spec = importlib.util.spec_from_file_location(name, osp.join(REPO, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ensure_synthetic_data(args) -> None:
    """Generate the synthetic files that are missing (an older data folder gets only the new ones)."""
    ann_dir = osp.join(args.data_dir, 'mesh_annotation_files')
    wanted = (('synthetic_train', '--num-train', args.num_train), ('synthetic_test', '--num-test', args.num_test),
              ('synthetic_mosh', '--num-prior', args.num_prior),
              ('synthetic_3dpw_test', '--num-pw3d-test', args.num_pw3d_test))
    missing = [(flag, num) for name, flag, num in wanted if not osp.isfile(osp.join(ann_dir, f'{name}.npz'))]
    if not missing:
        print(f'[quickstart] using the synthetic data in {args.data_dir}', flush=True)
        return
    print(f'[quickstart] generating synthetic data in {args.data_dir} ...', flush=True)
    counts = dict(missing)
    options = [item for _, flag, _ in wanted for item in (flag, str(counts.get(flag, 0)))]
    load_tool('make_synthetic_data').main(['--out-dir', args.data_dir, *options])


def mean_pose_baseline(config: str, data_dir: str) -> dict:
    """joint_error of predicting the mean parameters for every test image."""
    import numpy as np
    import torch
    from mmengine.config import Config

    from mesh_recovery.body_models import SMPL
    from mesh_recovery.evaluation import JointError
    from mesh_recovery.geometry.rotation import rot6d_to_matrix

    cfg = Config.fromfile(config)
    smpl = SMPL(cfg.model.smpl.smpl_path, joints_regressor=cfg.model.smpl.joints_regressor)
    with np.load(cfg.model.mesh_head.smpl_mean_params) as mean:
        pose = rot6d_to_matrix(torch.from_numpy(mean['pose']).float().view(1, 24, 6))
        betas = torch.from_numpy(mean['shape']).float().view(1, -1)
    with torch.no_grad():
        joints = smpl(betas, pose).joints[0].numpy()
    with np.load(osp.join(data_dir, 'mesh_annotation_files', 'synthetic_test.npz')) as test:
        gt = test['S']
    metric = JointError()
    metric.process({}, [dict(keypoints_3d=joints, gt_keypoints_3d=s) for s in gt])
    return metric.compute_metrics(metric.results)


def print_comparison(model: dict, baseline: dict) -> None:
    print('\n[quickstart] joint_error on the synthetic test set (mm)')
    print(f'{"":<22}{"MPJPE":>10}{"MPJPE-PA":>10}')
    print(f'{"mean-pose baseline":<22}{baseline["MPJPE"]:>10.2f}{baseline["MPJPE-PA"]:>10.2f}')
    print(f'{"trained model":<22}{model["MPJPE"]:>10.2f}{model["MPJPE-PA"]:>10.2f}')
    ratio = model['MPJPE-PA'] / baseline['MPJPE-PA']
    print(f'MPJPE-PA ratio model / baseline = {ratio:.3f} (target <= 0.5)', flush=True)


def evaluate_pw3d_like(checkpoint: str, data_dir: str, work_dir: str) -> tuple:
    """3DPW's protocol (gendered ground truth, MPJPE / MPJPE-PA / PVE) on the 3DPW-like set, and its baseline.

    Returns:
        ``(model metrics, mean-pose baseline metrics)``, both in mm.
    """
    from mesh_recovery.evaluation import PW3DError
    from mesh_recovery.evaluation.mean_pose_baseline import mean_pose_baseline as score_mean_pose
    metrics = load_tool('test').main([PW3D_CONFIG, checkpoint, '--work-dir', osp.join(work_dir, 'pw3d'),
                                      '--cfg-options', f'test_dataloader.dataset.data_root={data_dir}',
                                      f'val_dataloader.dataset.data_root={data_dir}'])
    baseline = score_mean_pose(PW3DError(smpl_path=FREE_BODY, gt_gender='gendered'),
                               osp.join(data_dir, 'mesh_annotation_files', 'synthetic_3dpw_test.npz'),
                               osp.join(FREE_BODY, 'mean_params.npz'))
    return metrics, baseline


def print_pw3d_comparison(model: dict, baseline: dict) -> None:
    keys = ('MPJPE', 'MPJPE-PA', 'PVE')
    print('\n[quickstart] 3DPW protocol on the synthetic 3DPW-like test set (mm, gendered ground truth)')
    print(f'{"":<22}' + ''.join(f'{k:>10}' for k in keys))
    for name, figures in (('mean-pose baseline', baseline), ('trained model', model)):
        print(f'{name:<22}' + ''.join(f'{figures[k]:>10.2f}' for k in keys))
    print(f'PVE ratio model / baseline = {model["PVE"] / baseline["PVE"]:.3f}', flush=True)


def write_pictures(config: str, checkpoint: str, data_dir: str, work_dir: str, num_samples: int = 12) -> dict:
    """Contact sheet of test predictions and the training losses, as PNGs in ``work_dir``."""
    from mesh_recovery.apis import init_model
    from mesh_recovery.apis.contact_sheet import make_contact_sheet
    from mesh_recovery.apis.loss_plot import plot_losses

    ann_dir = osp.join(data_dir, 'mesh_annotation_files')
    model = init_model(config, checkpoint)
    cameras = osp.join(ann_dir, 'synthetic_test_cameras.npz')  # for the ground-truth joints in the image
    sheet = make_contact_sheet(model, osp.join(ann_dir, 'synthetic_test.npz'), data_dir,
                               osp.join(work_dir, 'test_contact_sheet.png'), num_samples=num_samples,
                               cameras_file=cameras if osp.isfile(cameras) else None)
    print(f'[quickstart] predictions on {len(sheet.indices)} test images (mesh, ground-truth joints green, '
          f'predicted red): {sheet.path}', flush=True)
    losses = osp.join(work_dir, 'training_losses.png')
    plot_losses(work_dir, losses, title=f'{osp.basename(config)}: training losses')
    print(f'[quickstart] training losses: {losses}', flush=True)
    return dict(contact_sheet=sheet.path, losses=losses)


def data_root_options(data_dir: str) -> list:
    """``--cfg-options`` pointing every dataset of the quickstart config at ``data_dir``."""
    keys = ('train_dataloader.dataset.train_dataset', 'train_dataloader.dataset.adversarial_dataset',
            'val_dataloader.dataset', 'test_dataloader.dataset')
    return [f'{key}.data_root={data_dir}' for key in keys]


def epoch_options(epochs: int) -> list:
    """``--cfg-options`` for a schedule of ``epochs``: the loop, its one validation and the cosine's length."""
    options = [f'train_cfg.max_epochs={epochs}', f'train_cfg.val_interval={epochs}']
    for optimizer in ('generator', 'discriminator'):
        # [0] is the warm-up (in iterations), [1] the cosine written in epochs.
        options += [f'param_scheduler.{optimizer}.1.end={epochs}', f'param_scheduler.{optimizer}.1.T_max={epochs}']
    return options


def print_precision_note(config: str) -> None:
    """Say up front in which precision the config's backbone trains on this CPU, and what that means for the time."""
    import torch
    from mmengine.config import Config

    from mesh_recovery.models.backbones.resnet import resolve_autocast_dtype
    setting = Config.fromfile(config).model.backbone.get('autocast_dtype')
    dtype = resolve_autocast_dtype(setting, torch.device('cpu'))
    if dtype is not None:
        print(f'[quickstart] the backbone trains under {str(dtype).replace("torch.", "")} autocast', flush=True)
        return
    if setting != 'auto':
        print('[quickstart] the backbone trains in float32 (the config sets no autocast)', flush=True)
        return
    # Measured on a 2-core AVX2 machine: 2.1 s per step in float32 against 0.46-0.75 s in bfloat16
    # on a 2-core Zen 4 (docs/benchmarks.md, main job); emulated bfloat16 would be ~10x slower still.
    print('[quickstart] this CPU has no native bfloat16 (AVX512-BF16 or AMX): the backbone trains in float32, '
          'about 3-4x slower per step (one fresh run took 78 min on 2 cores, against 18-26 min with '
          'bfloat16)', flush=True)


def main(argv=None) -> None:
    args = parse_args(argv)
    # --data-dir is relative to where the user started; configs name assets relative to the repository root.
    args.data_dir = osp.abspath(args.data_dir)
    args.work_dir = osp.abspath(args.work_dir)
    os.chdir(REPO)
    start = time.perf_counter()
    print_precision_note(CONFIG)
    ensure_synthetic_data(args)
    train_args = [sys.executable, osp.join(REPO, 'tools', 'train.py'), CONFIG, '--work-dir', args.work_dir]
    options = data_root_options(args.data_dir)
    if args.epochs is not None:
        options += epoch_options(args.epochs)
    train_args += ['--cfg-options', *options]
    print(f'[quickstart] training: {" ".join(train_args[1:])}', flush=True)
    subprocess.run(train_args, check=True, cwd=REPO)
    # The pointer names the checkpoint relative to the work dir (absolute in older runs).
    with open(osp.join(args.work_dir, 'last_checkpoint'), encoding='utf-8') as pointer:
        checkpoint = osp.join(args.work_dir, pointer.read().strip())
    print(f'[quickstart] evaluating {checkpoint} with --eval=joint_error', flush=True)
    metrics = load_tool('test').main([CONFIG, checkpoint, '--eval=joint_error', '--work-dir', args.work_dir,
                                      '--out', osp.join(args.work_dir, 'results.pkl'),
                                      '--cfg-options', *data_root_options(args.data_dir)])
    print_comparison(metrics, mean_pose_baseline(CONFIG, args.data_dir))
    print_pw3d_comparison(*evaluate_pw3d_like(checkpoint, args.data_dir, args.work_dir))
    write_pictures(CONFIG, checkpoint, args.data_dir, args.work_dir)
    print(f'[quickstart] done in {(time.perf_counter() - start) / 60:.1f} min', flush=True)


if __name__ == '__main__':
    from mesh_recovery.utils.errors import run_main
    sys.exit(run_main(main))
