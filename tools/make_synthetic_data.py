"""Generate the built-in synthetic HMR dataset under data/synthetic/.

Example:
    python tools/make_synthetic_data.py --num-train 4000 --num-test 500 --num-prior 20000

Writes ``images/{train,test}/*.jpg`` and ``mesh_annotation_files/{synthetic_train,
synthetic_test, synthetic_mosh}.npz`` in the SPIN format of the real annotation files.
The same seed always gives identical files.
"""
import argparse
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mesh_recovery.body_models.model_files import FREE_BODY_MODEL_FILES, FREE_BODY_REGRESSOR, free_body_path  # noqa: E402
from mesh_recovery.synthetic.dataset_writer import SyntheticDatasetWriter  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out-dir', default='data/synthetic', help='root of the dataset tree')
    parser.add_argument('--num-train', type=int, default=4000)
    parser.add_argument('--num-test', type=int, default=500)
    parser.add_argument('--num-prior', type=int, default=20000, help='poses in the MoSh-like prior file')
    parser.add_argument('--num-pw3d-test', type=int, default=0,
                        help='samples of the 3DPW-like test set (synthetic_3dpw_test.npz; docs/evaluation.md)')
    parser.add_argument('--num-3dhp-test', type=int, default=0,
                        help='samples of the MPI-INF-3DHP-like test set (synthetic_3dhp_test.npz)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--workers', type=int, default=2, help='rendering processes')
    parser.add_argument('--body-model', default=free_body_path(FREE_BODY_MODEL_FILES['neutral']))
    parser.add_argument('--joints-regressor', default=free_body_path(FREE_BODY_REGRESSOR))
    parser.add_argument('--contact-sheet', metavar='IMAGE',
                        help='also save a grid of training samples with their 2D joints and boxes')
    return parser.parse_args(argv)


def save_contact_sheet(out_dir: str, path: str, rows: int = 4, cols: int = 6, tile: int = 200) -> None:
    """Draw the first training samples with visible (green) / hidden (red) joints and the box."""
    import cv2
    import numpy as np
    with np.load(osp.join(out_dir, 'mesh_annotation_files', 'synthetic_train.npz')) as data:
        ann = {k: data[k] for k in ('imgname', 'part', 'center', 'scale')}
    tiles = []
    for i in range(min(rows * cols, len(ann['imgname']))):
        image = cv2.imread(osp.join(out_dir, str(ann['imgname'][i])))
        half = ann['scale'][i] * 100
        x0, y0 = (ann['center'][i] - half).astype(int)
        x1, y1 = (ann['center'][i] + half).astype(int)
        cv2.rectangle(image, (x0, y0), (x1, y1), (255, 255, 0), 1)
        for x, y, visible in ann['part'][i]:
            cv2.circle(image, (int(round(x)), int(round(y))), 3, (0, 220, 0) if visible else (0, 0, 255), -1)
        tiles.append(cv2.resize(image, (tile, tile), interpolation=cv2.INTER_AREA))
    tiles += [np.zeros_like(tiles[0])] * (rows * cols - len(tiles))
    grid = np.vstack([np.hstack(tiles[r * cols:(r + 1) * cols]) for r in range(rows)])
    cv2.imwrite(path, grid)


def main(argv=None) -> None:
    args = parse_args(argv)
    writer = SyntheticDatasetWriter(args.body_model, args.joints_regressor, args.out_dir,
                                    seed=args.seed, num_workers=args.workers)
    for split, num, write in (('train', args.num_train, writer.write_train),
                              ('test', args.num_test, writer.write_test),
                              ('prior', args.num_prior, writer.write_prior),
                              ('pw3d_test', args.num_pw3d_test, writer.write_pw3d_test),
                              ('mpi_inf_3dhp_test', args.num_3dhp_test, writer.write_mpi_inf_3dhp_test)):
        if num <= 0:
            continue
        start = time.perf_counter()
        path = write(num)
        print(f'{split}: {num} samples -> {path} ({time.perf_counter() - start:.1f} s)', flush=True)
    if args.contact_sheet:
        save_contact_sheet(args.out_dir, args.contact_sheet)
        print(f'contact sheet -> {args.contact_sheet}')


if __name__ == '__main__':
    main()
