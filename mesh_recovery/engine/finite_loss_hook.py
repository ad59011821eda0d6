"""Stop training on the first non-finite loss, naming the iteration and the terms."""
import math

import torch
from mmengine.hooks import Hook

from mesh_recovery.registry import HOOKS
from mesh_recovery.utils.errors import UserError


class NonFiniteLossError(UserError, FloatingPointError):
    """A loss term became NaN or infinite: the tools report it as one message, not a traceback."""


@HOOKS.register_module()
class FiniteLossHook(Hook):
    """Raise ``NonFiniteLossError`` (a ``FloatingPointError``) when any logged loss term is NaN or infinite.

    It runs before the checkpoint hook of the same iteration, so no checkpoint
    with diverged weights is written; the last good checkpoint stays the
    latest one to ``--resume`` from.
    """

    priority = 'VERY_HIGH'

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if not outputs:
            return
        values = {k: float(v.detach().float().mean()) if isinstance(v, torch.Tensor) else float(v)
                  for k, v in outputs.items() if 'loss' in k}
        bad = {k: v for k, v in values.items() if not math.isfinite(v)}
        if bad:
            terms = ', '.join(f'{k}={v}' for k, v in sorted(values.items()))
            raise NonFiniteLossError(
                f'non-finite loss at iteration {runner.iter + 1} (epoch {runner.epoch + 1}): '
                f'{sorted(bad)} are not finite; all terms: {terms}. Lower the learning rate or '
                f'check the data of this batch; resume from the last checkpoint with --resume.')
