"""Convert a raw dataset into the SPIN-format annotation files (and image trees) the configs read.

Example:
    python tools/convert_datasets.py lsp --root data/lsp_dataset_original --out data/mesh_annotation_files
    python tools/convert_datasets.py h36m --root /datasets/h36m --out data/mesh_annotation_files --workers 4

Each DATASET reproduces one of nkolot/SPIN's datasets/preprocess scripts (see
docs/data_preparation.md for the raw layouts, the trees written and the quirks
kept by default; ``--corrected`` switches them off).
"""
import argparse
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mesh_recovery.datasets.converters.convert_options import ConvertOptions  # noqa: E402
from mesh_recovery.datasets.converters.registry import ANN_DIR, CONVERTERS  # noqa: E402
from mesh_recovery.utils.errors import BadValueError, MissingFileError, run_main  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Convert a raw dataset to SPIN-format annotation files')
    parser.add_argument('dataset', choices=sorted(CONVERTERS), help='which converter to run')
    parser.add_argument('--root', required=True, help='folder of the raw dataset')
    parser.add_argument('--out', default=ANN_DIR, help=f'folder of the annotation files (default {ANN_DIR})')
    parser.add_argument('--images', help='folder for extracted frames (video datasets; default: the '
                        "configs' image folder, data/Human3.6M, data/h36m_train, or --root for MPI-INF-3DHP)")
    parser.add_argument('--workers', type=int, default=1, help='parallel frame-extraction processes')
    parser.add_argument('--corrected', action='store_true',
                        help="use the corrected behaviour instead of reproducing SPIN's documented quirks")
    parser.add_argument('--all-frames', action='store_true',
                        help='MPI-INF-3DHP train: write every video frame as SPIN does (default: kept ones)')
    parser.add_argument('--fits', help="MPI-INF-3DHP train: SPIN's mpi-inf-3dhp_mview_fits.npz (pose, shape, "
                        'has_smpl)')
    parser.add_argument('--quiet', action='store_true', help='no progress bars')
    parser.add_argument('--debug', action='store_true', help='show the Python traceback of user errors too')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.workers < 1:
        raise BadValueError(f'--workers must be >= 1, got {args.workers}')
    if not osp.isdir(args.root):
        raise MissingFileError(f'--root {args.root} is not a folder; give the folder of the raw '
                               f'{args.dataset} dataset (layout in docs/data_preparation.md)')
    info = CONVERTERS[args.dataset]
    options = ConvertOptions(corrected=args.corrected, images=args.images, workers=args.workers,
                             all_frames=args.all_frames, fits=args.fits, progress=not args.quiet)
    start = time.monotonic()
    module = info.load()
    paths = module.convert(args.root, args.out, options, info.split) if info.split else \
        module.convert(args.root, args.out, options)
    for path in paths:
        import numpy as np
        with np.load(path) as npz:
            print(f'wrote {path}: {len(npz["imgname"])} samples, keys {sorted(npz.files)}')
    print(f'{args.dataset}: done in {time.monotonic() - start:.1f} s (reproduces {info.spin_script}'
          f'{", corrected" if args.corrected else ""})')
    return 0


if __name__ == '__main__':
    sys.exit(run_main(main))
