"""Per-sample random streams that depend on (seed, epoch, index) only.

mmpose 0.x drew its mixing, pairing and augmentation randomness from the
global ``np.random`` state of each DataLoader worker. With non-persistent
workers that state is re-seeded identically every epoch, so every epoch
repeated the previous one (docs/data_contract.md, what differs from mmpose 0.x). Here every random choice about sample
``i`` in epoch ``e`` comes from a generator keyed by ``(seed, e, i)``: the
result does not depend on which worker builds the sample, on the number of
workers or on what the worker built before, and it changes with the epoch.

The epoch reaches the datasets through the index itself:
:class:`EpochAwareSampler` yields :class:`EpochIndex` values, ints that also
carry the sampler's epoch and seed. That survives persistent workers (whose
dataset copies never see attribute changes made in the main process) and DDP.
A plain ``int`` index falls back to the dataset's own ``epoch`` attribute
(``set_epoch``), which reaches forked workers only when they are re-created.
"""
import hashlib
import zlib
from typing import Any, Tuple

import numpy as np

# Key under which datasets hand the per-sample seed to random transforms.
AUG_SEED_KEY = 'aug_seed'
# Negative ints enter the key as their 64-bit two's-complement pattern.
_MASK_64 = 0xFFFFFFFFFFFFFFFF


class EpochIndex(int):
    """A dataset index that also carries the sampler's epoch and seed.

    It behaves as the plain ``int`` everywhere else (numpy indexing, mmengine's
    ``BaseDataset``), so datasets that do not know about it still work.

    Args:
        index: The dataset index.
        epoch: The epoch the sampler is in.
        seed: The sampler's seed (mmengine passes the runner's seed).
    """

    epoch: int
    seed: int

    def __new__(cls, index: int, epoch: int = 0, seed: int = 0) -> 'EpochIndex':
        obj = super().__new__(cls, index)
        obj.epoch = int(epoch)
        obj.seed = int(seed)
        return obj

    def __reduce__(self) -> Tuple[Any, Tuple[int, int, int]]:
        # Indices travel to DataLoader workers by pickle; keep epoch and seed.
        return EpochIndex, (int(self), self.epoch, self.seed)

    def __repr__(self) -> str:
        return f'EpochIndex({int(self)}, epoch={self.epoch}, seed={self.seed})'


def split_index(idx: Any, length: int, fallback_epoch: int) -> Tuple[int, int, int]:
    """Split an index into (non-negative index, epoch, sampler seed).

    Args:
        idx: An ``int``, numpy integer or :class:`EpochIndex`.
        length: Length of the dataset (for negative indices and the range check).
        fallback_epoch: Epoch used when ``idx`` carries none.

    Raises:
        IndexError: ``idx`` is out of range.
    """
    epoch = getattr(idx, 'epoch', fallback_epoch)
    sampler_seed = getattr(idx, 'seed', 0)
    index = int(idx)
    if index < 0:
        index += length
    if not 0 <= index < length:
        raise IndexError(f'index {int(idx)} is out of range for a dataset of length {length}')
    return index, int(epoch), int(sampler_seed)


def salt(name: str) -> int:
    """A stable 32-bit number for ``name`` (``hash`` differs between processes)."""
    return zlib.crc32(name.encode('utf-8'))


def key_digest(key: Tuple[int, ...]) -> int:
    """A 128-bit BLAKE2b hash of the integers of ``key``."""
    data = b''.join((int(k) & _MASK_64).to_bytes(8, 'little') for k in key)
    return int.from_bytes(hashlib.blake2b(data, digest_size=16).digest(), 'little')


def keyed_rng(*key: int) -> np.random.Generator:
    """A numpy Generator determined by the integers of ``key`` alone (negative ints allowed).

    The key is hashed into the key of a Philox counter-based generator: unlike
    ``default_rng(key)`` this skips ``SeedSequence``, which costs more than the
    few numbers a transform draws from it (one is made per sample and transform).
    """
    return np.random.Generator(np.random.Philox(key=key_digest(key)))


def keyed_index(size: int, *key: int) -> int:
    """An index uniform in ``[0, size)`` determined by ``key`` alone.

    One draw straight from the key's hash (no generator); with 128 bits the
    modulo bias is below ``size / 2**128``.
    """
    if size <= 0:
        raise ValueError(f'keyed_index needs a positive size, got {size}')
    return key_digest(key) % size
