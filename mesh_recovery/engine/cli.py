"""Command-line options shared by tools/train.py and tools/test.py."""
import argparse
import difflib
import os
import os.path as osp
from typing import Any, List

from mmengine.config import Config, DictAction
from mmengine.logging import print_log

from mesh_recovery.utils.errors import DEBUG_FLAG, BadValueError

from .distributed import LAUNCHERS

_MISSING = object()


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """``--work-dir``, ``--cfg-options``, ``--launcher`` and torchrun's ``--local-rank``."""
    parser.add_argument('--work-dir', help='directory for logs and checkpoints')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config entries, e.g. train_dataloader.batch_size=16')
    parser.add_argument('--launcher', choices=LAUNCHERS, default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0, help=argparse.SUPPRESS)
    # Read by mesh_recovery.utils.errors.run_main before parsing; listed here for --help.
    parser.add_argument(DEBUG_FLAG, action='store_true', help='show the Python traceback of user errors too')


def apply_common_args(cfg: Config, args: argparse.Namespace, config_path: str) -> None:
    """Apply ``--cfg-options`` and the work dir (default ``work_dirs/<config name>``)."""
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    if args.cfg_options:
        merge_cfg_options(cfg, args.cfg_options)
    if args.work_dir:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('work_dirs', osp.splitext(osp.basename(config_path))[0])


def _lookup(cfg: Any, parts: List[str]) -> Any:
    node = cfg
    for part in parts:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, (list, tuple)) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return _MISSING
    return node


def _all_keys(node: Any, prefix: str = '') -> List[str]:
    keys = []
    if isinstance(node, dict):
        for key, value in node.items():
            keys.append(prefix + str(key))
            keys += _all_keys(value, f'{prefix}{key}.')
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            keys += _all_keys(value, f'{prefix}{i}.')
    return keys


def _check_option(cfg: Config, key: str, value: Any) -> None:
    """Refuse a value that cannot replace the current one; warn about keys the config lacks."""
    parts = key.split('.')
    root = cfg._cfg_dict if isinstance(cfg, Config) else cfg
    current = _lookup(root, parts)
    if current is _MISSING:
        parent = _lookup(root, parts[:-1])
        if parent is _MISSING or not isinstance(parent, dict):
            close = difflib.get_close_matches(key, _all_keys(root), n=3, cutoff=0.6)
            raise BadValueError(f'--cfg-options {key}={value!r}: the config has no {".".join(parts[:-1])!r} '
                                f'to put {parts[-1]!r} in' + (f'; did you mean {close}?' if close else ''))
        close = difflib.get_close_matches(parts[-1], [str(k) for k in parent], n=3, cutoff=0.6)
        print_log(f'--cfg-options {key}={value!r}: the config has no such key, it is added'
                  + (f' (closest existing keys: {[".".join(parts[:-1] + [c]) for c in close]})' if close else ''),
                  logger='current', level=30)
        return
    numeric = (int, float)
    if isinstance(current, bool) and not isinstance(value, bool):
        raise BadValueError(f'--cfg-options {key}={value!r}: expected True or False (the config has {current})')
    if isinstance(current, numeric) and not isinstance(current, bool) and (
            isinstance(value, str) or isinstance(value, bool)):
        raise BadValueError(f'--cfg-options {key}={value!r}: expected a number (the config has {current!r})')
    if isinstance(current, dict) and not isinstance(value, dict) and value is not None:
        raise BadValueError(f'--cfg-options {key}={value!r}: {key} is a section of the config '
                            f'(keys {sorted(current)[:8]}); set one of its keys, e.g. {key}.{sorted(current)[0]}=...'
                            if current else f'--cfg-options {key}={value!r}: {key} is a section of the config')


def merge_cfg_options(cfg: Config, options: dict) -> None:
    """``cfg.merge_from_dict(options)`` with each key and value checked first.

    Raises:
        BadValueError: A value of another kind than the config's (text for a
            number, a plain value for a section) or a key under a missing section.
    """
    for key, value in options.items():
        _check_option(cfg, key, value)
    try:
        cfg.merge_from_dict(options)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise BadValueError(f'--cfg-options {options}: cannot be applied to the config: {exc}') from exc
