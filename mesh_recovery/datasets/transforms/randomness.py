"""Where random transforms get their random numbers from.

1. ``results['aug_seed']`` (a tuple of ints set by the mesh datasets from
   ``(seed, sampler seed, epoch, index)``): a generator keyed by it and by the
   transform's class name. Reproducible, different every epoch, the same for
   any number of workers, and independent between transforms.
2. Otherwise (a transform called on its own) a generator owned by the
   transform, created lazily in each process and seeded from ``seed`` and the
   process's torch seed, which mmengine's ``worker_init_fn`` sets per worker
   (so forked workers do not repeat each other).

Nothing reads the global ``np.random`` state.
"""
import os
from typing import Optional

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from ..seeding import AUG_SEED_KEY, keyed_rng, salt


class SeededRandomTransform(BaseTransform):
    """Base class of the random mesh transforms.

    Args:
        seed: Seed of the fallback generator (used only when ``results`` has
            no ``'aug_seed'``).
    """

    def __init__(self, seed: Optional[int] = None) -> None:
        self.seed = seed
        self._salt = salt(type(self).__name__)
        self._rng: Optional[np.random.Generator] = None
        self._rng_pid = -1

    def rng(self, results: dict) -> np.random.Generator:
        """The generator for this call (see the module docstring)."""
        key = results.get(AUG_SEED_KEY)
        if key is not None:
            return keyed_rng(*key, self._salt)
        if self._rng is None or self._rng_pid != os.getpid():
            base = 0 if self.seed is None else self.seed
            self._rng = keyed_rng(base, torch.initial_seed(), self._salt)
            self._rng_pid = os.getpid()
        return self._rng
