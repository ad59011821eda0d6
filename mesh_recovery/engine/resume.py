"""Resume that cannot be fooled: which checkpoint ``--resume`` uses, and a pointer that survives moves.

mmengine's auto-resume reads the absolute path stored in ``work_dir/last_checkpoint``
and loads it: a moved work dir, an empty or stale pointer, or a corrupt latest
checkpoint stops the resume (or starts training from scratch). Here:

- :class:`MeshCheckpointHook` rewrites ``last_checkpoint`` atomically with the
  checkpoint's name relative to the work dir right after each save, and removes
  the temporary files of a checkpoint write killed in a previous run;
- :func:`resolve_resume_checkpoint` follows the pointer (relative, absolute, or
  absolute into a work dir that has moved), and when that file does not load,
  falls back to the newest loadable ``*.pth`` of the work dir with a warning
  naming both.
"""
import glob
import logging
import os
import os.path as osp
import re
from typing import List, Optional, Tuple

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook
from mmengine.logging import print_log

from mesh_recovery.registry import HOOKS
from mesh_recovery.utils.atomic import TMP_SUFFIX, atomic_write_bytes
from mesh_recovery.utils.errors import UserError

from .checkpoint import read_checkpoint

POINTER = 'last_checkpoint'
_STEP = re.compile(r'(?:epoch|iter)_(\d+)\.pth$')


class NothingToResumeError(UserError):
    """``--resume`` found checkpoints but none of them loads."""


def _pointer_target(work_dir: str) -> Optional[str]:
    path = osp.join(work_dir, POINTER)
    if not osp.isfile(path):
        return None
    with open(path, encoding='utf-8', errors='replace') as handle:
        target = handle.read().strip()
    if not target:
        return None
    if not osp.isabs(target):
        return osp.join(work_dir, target)
    if not osp.exists(target) and osp.isfile(osp.join(work_dir, osp.basename(target))):
        return osp.join(work_dir, osp.basename(target))  # written before the work dir was moved
    return target


def _candidates(work_dir: str) -> List[str]:
    """The work dir's checkpoints, newest first (by the step in the name, then by time)."""
    files = [f for f in glob.glob(osp.join(work_dir, '*.pth')) if osp.isfile(f)]

    def key(path: str) -> Tuple[int, float]:
        match = _STEP.search(osp.basename(path))
        return (int(match.group(1)) if match else -1, osp.getmtime(path))

    return sorted(files, key=key, reverse=True)


def _loads(path: str) -> Optional[str]:
    """None if ``path`` reads as a checkpoint, else why not."""
    try:
        checkpoint = read_checkpoint(path)
    except UserError as exc:
        return str(exc)
    return None if 'state_dict' in checkpoint else f'{path} has no state_dict (not a training checkpoint)'


def resolve_resume_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint ``--resume`` (without a path) should continue from.

    Args:
        work_dir: The run's work dir.

    Returns:
        The path of the newest loadable checkpoint (the pointer's target when
        it loads), or None when the work dir holds no checkpoint at all.

    Raises:
        NothingToResumeError: Checkpoints exist but none loads.
    """
    remove_stale_temporary_files(work_dir)
    target = _pointer_target(work_dir)
    ordered = ([target] if target else []) + [c for c in _candidates(work_dir) if c != target]
    if not ordered:
        print_log(f'--resume: nothing to resume in {work_dir} (no {POINTER} and no *.pth); training starts '
                  'from scratch', logger='current', level=logging.WARNING)
        return None
    reasons = []
    for path in ordered:
        reason = 'missing' if not osp.isfile(path) else _loads(path)
        if reason is None:
            if reasons:
                print_log(f'--resume: {reasons[0][0]} cannot be used ({reasons[0][1]}); resuming from {path}, '
                          'the newest checkpoint that loads', logger='current', level=logging.WARNING)
            return path
        reasons.append((path, reason))
    listing = '\n  '.join(f'{p}: {r}' for p, r in reasons)
    raise NothingToResumeError(f'--resume: no checkpoint in {work_dir} loads:\n  {listing}\nMove them away to '
                               'start from scratch, or pass --resume PATH with a good checkpoint.')


def remove_stale_temporary_files(directory: str) -> List[str]:
    """Delete the temporary files (``.NAME.XXXX.tmp``) that a killed atomic write left behind."""
    removed = []
    for path in glob.glob(osp.join(directory, '.*' + TMP_SUFFIX)):
        try:
            os.remove(path)
            removed.append(path)
        except OSError:
            continue
    if removed:
        print_log(f'removed {len(removed)} temporary file(s) of an interrupted checkpoint write: '
                  f'{[osp.basename(p) for p in removed]}', logger='current', level=logging.WARNING)
    return removed


@HOOKS.register_module()
class MeshCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook`` with a relative, atomically rewritten ``last_checkpoint``.

    ``MeshRunner`` uses it wherever a config asks for ``CheckpointHook``.
    """

    def before_train(self, runner) -> None:
        super().before_train(runner)
        if is_main_process():
            remove_stale_temporary_files(runner.work_dir)
            if self.out_dir != runner.work_dir and osp.isdir(str(self.out_dir)):
                remove_stale_temporary_files(str(self.out_dir))

    def _save_checkpoint_with_step(self, runner, step, meta):
        super()._save_checkpoint_with_step(runner, step, meta)
        if not is_main_process() or self.last_ckpt is None:
            return
        last = str(self.last_ckpt)
        work_dir = osp.abspath(runner.work_dir)
        # Relative when inside the work dir, so a moved work dir still resumes.
        name = osp.relpath(osp.abspath(last), work_dir) if osp.abspath(last).startswith(work_dir + os.sep) else last
        atomic_write_bytes(name.encode('utf-8'), osp.join(runner.work_dir, POINTER))
