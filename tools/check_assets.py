"""Asset doctor: list every file a config needs and whether it is there and well-formed.

Example:
    python tools/check_assets.py configs/mesh/hmr/hmr_resnet_50.py

Exits with status 1 when anything is missing or invalid, saying where each
missing file comes from and which section of docs/data_preparation.md explains it.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.config import DictAction  # noqa: E402

from mesh_recovery.engine.cli import merge_cfg_options  # noqa: E402
from mesh_recovery.utils.asset_check import collect_assets  # noqa: E402
from mesh_recovery.utils.errors import run_main  # noqa: E402
from mesh_recovery.utils.files import load_config  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Check the files a config needs')
    parser.add_argument('config')
    parser.add_argument('--checkpoint', help='also check this checkpoint file')
    parser.add_argument('--mode', choices=('train', 'test', 'all'), default='all')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    parser.add_argument('--debug', action='store_true', help='show the Python traceback of user errors too')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    cfg = load_config(args.config)
    if args.cfg_options:
        merge_cfg_options(cfg, args.cfg_options)
    statuses = collect_assets(cfg, args.mode, args.checkpoint)
    for status in statuses:
        print(status.describe())
    bad = [s for s in statuses if not s.ok]
    print(f'\n{len(statuses) - len(bad)} found, {len(bad)} missing or invalid ({args.config})')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(run_main(main))
