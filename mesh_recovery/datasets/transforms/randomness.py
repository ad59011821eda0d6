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
import threading
from typing import Dict, Optional

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from ..seeding import AUG_SEED_KEY, key_digest, keyed_rng, salt


class _RekeyedPhilox:
    """The generator of :func:`keyed_rng` for any key, re-keying one Philox instead of building one.

    Setting the state of an existing bit generator costs ~1.5 us where
    constructing ``Philox`` + ``Generator`` costs ~12 us, and a transform needs
    a fresh stream for every sample. The returned generator is valid until the
    next call on the same instance (each thread gets its own instance).
    """

    def __init__(self) -> None:
        self._bit_generator = np.random.Philox(key=0)
        self._generator = np.random.Generator(self._bit_generator)
        # Philox(key=k) starts with a zero counter and an empty output buffer.
        self._state = self._bit_generator.state

    def __call__(self, *key: int) -> np.random.Generator:
        # Philox(key=k) takes the 128-bit k as two 64-bit words, low word first.
        high, low = divmod(key_digest(key), 1 << 64)
        self._state['state']['key'] = np.array([low, high], dtype=np.uint64)
        self._bit_generator.state = self._state
        return self._generator


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
        self._keyed: Dict[int, _RekeyedPhilox] = {}

    def rng(self, results: dict) -> np.random.Generator:
        """The generator for this call (see the module docstring).

        A keyed generator is only valid until the transform's next ``rng``
        call in the same thread; draw what the call needs right away.
        """
        key = results.get(AUG_SEED_KEY)
        if key is not None:
            thread = threading.get_ident()
            keyed = self._keyed.get(thread)
            if keyed is None:
                keyed = self._keyed[thread] = _RekeyedPhilox()
            return keyed(*key, self._salt)
        if self._rng is None or self._rng_pid != os.getpid():
            base = 0 if self.seed is None else self.seed
            self._rng = keyed_rng(base, torch.initial_seed(), self._salt)
            self._rng_pid = os.getpid()
        return self._rng
