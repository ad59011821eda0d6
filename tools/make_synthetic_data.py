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

from mesh_recovery.synthetic.dataset_writer import SyntheticDatasetWriter  # noqa: E402

FREE_BODY_DIR = 'models/free_body'


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out-dir', default='data/synthetic', help='root of the dataset tree')
    parser.add_argument('--num-train', type=int, default=4000)
    parser.add_argument('--num-test', type=int, default=500)
    parser.add_argument('--num-prior', type=int, default=20000, help='poses in the MoSh-like prior file')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--workers', type=int, default=2, help='rendering processes')
    parser.add_argument('--body-model', default=osp.join(FREE_BODY_DIR, 'body_model.npz'))
    parser.add_argument('--joints-regressor', default=osp.join(FREE_BODY_DIR, 'joints_regressor_spin24.npy'))
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    writer = SyntheticDatasetWriter(args.body_model, args.joints_regressor, args.out_dir,
                                    seed=args.seed, num_workers=args.workers)
    for split, num, write in (('train', args.num_train, writer.write_train),
                              ('test', args.num_test, writer.write_test),
                              ('prior', args.num_prior, writer.write_prior)):
        if num <= 0:
            continue
        start = time.perf_counter()
        path = write(num)
        print(f'{split}: {num} samples -> {path} ({time.perf_counter() - start:.1f} s)', flush=True)


if __name__ == '__main__':
    main()
