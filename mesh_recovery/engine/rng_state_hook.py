"""Save and restore the global random states with each checkpoint.

mmengine re-seeds at start-up and does not store random states, so a resumed
run draws different dropout masks (and any other global-RNG draws) than an
uninterrupted one. Restoring the states makes ``--resume`` continue the same
random sequence, so an interrupted and resumed run ends with the same weights.
The data pipeline needs none of this: its randomness is keyed by
(seed, epoch, sample index).
"""
import random

import numpy as np
import torch
from mmengine.hooks import Hook

from mesh_recovery.registry import HOOKS

_KEY = 'rng_state'


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Store torch / numpy / Python random states in checkpoints and restore them on resume.

    Only ``--resume`` restores them; ``load_from`` (fine-tuning) keeps the
    states its own ``randomness.seed`` gave.

    States are stored as tensors and plain Python values, so checkpoints still
    load with ``torch.load(weights_only=True)``.
    """

    priority = 'LOW'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        bit_generator, keys, pos, has_gauss, cached_gaussian = np.random.get_state()
        state = dict(
            torch=torch.get_rng_state(),
            numpy=dict(bit_generator=bit_generator, keys=torch.from_numpy(keys.astype(np.int64)), pos=int(pos),
                       has_gauss=int(has_gauss), cached_gaussian=float(cached_gaussian)),
            python=random.getstate(),
        )
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            state['cuda'] = torch.cuda.get_rng_state_all()
        checkpoint[_KEY] = state

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if not getattr(runner, '_resume', False):
            # load_from starts a new run from old weights: it keeps its own seed's random sequence.
            return
        state = checkpoint.get(_KEY)
        if state is None:
            runner.logger.warning('checkpoint has no random states (saved without RNGStateHook); '
                                  'the resumed run will not repeat the interrupted one exactly')
            return
        torch.set_rng_state(state['torch'])
        numpy_state = state['numpy']
        np.random.set_state((numpy_state['bit_generator'], numpy_state['keys'].numpy().astype(np.uint32),
                             numpy_state['pos'], numpy_state['has_gauss'], numpy_state['cached_gaussian']))
        random.setstate(_as_python_state(state['python']))
        if 'cuda' in state and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state['cuda'])


def _as_python_state(state):
    # Checkpoint round trips may turn the inner tuple into a list.
    version, internal, gauss = state
    return version, tuple(internal), gauss
