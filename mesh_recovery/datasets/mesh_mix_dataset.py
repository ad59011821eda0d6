"""Mixture of mesh datasets drawn in fixed proportions (mmpose 0.x ``MeshMixDataset``)."""
import copy
import logging
from collections import OrderedDict
from typing import Any, List, Sequence, Tuple, Union

import numpy as np
from mmengine.logging import print_log
from torch.utils.data import Dataset

from mesh_recovery.registry import DATASETS
from mesh_recovery.utils.asset_needs import FileNeed

from .file_needs import dataset_files
from .mesh_base_dataset import MeshBaseDataset
from .seeding import EpochIndex, keyed_rng, salt, split_index

_PLAN_SALT = salt('MeshMixDataset.plan')
_PERM_SALT = salt('MeshMixDataset.permutation')


def validate_partition(partition: Sequence[float], num_datasets: int) -> np.ndarray:
    """Check mixing weights: one per dataset, finite, non-negative, summing to 1 (within 1e-6).

    Raises:
        ValueError: naming the offending values.
    """
    weights = np.asarray(partition, dtype=np.float64)
    if weights.ndim != 1 or len(weights) != num_datasets:
        raise ValueError(f'partition {list(partition)} must have one weight per dataset '
                         f'({num_datasets} configs)')
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise ValueError(f'partition {list(partition)} must hold finite non-negative weights')
    if abs(weights.sum() - 1.0) > 1e-6:
        raise ValueError(f'partition {list(partition)} sums to {weights.sum():.8f}; it must sum to 1')
    return weights


def slot_counts(weights: np.ndarray, total: int) -> np.ndarray:
    """Split ``total`` slots in proportion to ``weights`` (largest remainder; sums to ``total``)."""
    exact = weights * total
    counts = np.floor(exact).astype(np.int64)
    remainder = total - int(counts.sum())
    # Stable order: ties go to the earlier dataset.
    order = np.argsort(-(exact - counts), kind='stable')
    counts[order[:remainder]] += 1
    return counts


@DATASETS.register_module()
class MeshMixDataset(Dataset):
    """Mesh datasets mixed with fixed weights, using the index it is given.

    Length: the length of the largest sub-dataset (as mmpose 0.x), so one epoch
    visits about as many samples as the largest source has.

    Each epoch assigns its ``L`` indices to sub-datasets: ``round(w_k * L)``
    slots go to dataset ``k`` (largest remainder, so the proportions are exact
    up to one sample) in an order shuffled per epoch. The slots of dataset
    ``k`` walk through an endless stream of its samples made of successive
    random permutations, continued from one epoch to the next: every sample of
    every dataset is used equally often, without replacement. All of it is a
    pure function of ``(seed, sampler seed, epoch, index)``; see
    :mod:`mesh_recovery.datasets.seeding` for how the epoch arrives
    (``EpochAwareSampler``, or ``set_epoch`` for plain int indices).

    Args:
        configs: Sub-dataset configs (``type`` defaults to ``MeshBaseDataset``,
            as in mmpose 0.x) or built datasets with ``prepare_sample``.
        partition: Mixing weight of each sub-dataset (non-negative, sum 1).
        seed: Dataset seed of the mixing and augmentation streams.
        lazy_init: Defer building the sub-datasets' annotations until first use.
    """

    @classmethod
    def needed_files(cls, configs: Sequence[Union[dict, MeshBaseDataset]] = (), **kwargs) -> List[FileNeed]:
        """The files of every sub-dataset (``type`` defaults to ``MeshBaseDataset``, as when building)."""
        return dataset_files(list(configs), default_type='MeshBaseDataset')

    def __init__(self, configs: Sequence[Union[dict, MeshBaseDataset]], partition: Sequence[float],
                 seed: int = 0, lazy_init: bool = False) -> None:
        self.weights = validate_partition(partition, len(configs))
        self.datasets = [self._build(cfg) for cfg in configs]
        self.seed = int(seed)
        self.epoch = 0
        self.lengths = np.zeros(len(self.datasets), dtype=np.int64)
        self.counts = np.zeros(len(self.datasets), dtype=np.int64)
        self.length = 0
        self._fully_initialized = False
        self._warned_epochless = False
        self._plan_key: Tuple[int, int] = (-1, -1)
        self._labels = np.zeros(0, np.int64)
        self._ranks = np.zeros(0, np.int64)
        self._permutations: 'OrderedDict[Tuple[int, int, int], np.ndarray]' = OrderedDict()
        if not lazy_init:
            self.full_init()

    @staticmethod
    def _build(cfg: Union[dict, MeshBaseDataset]) -> MeshBaseDataset:
        if isinstance(cfg, dict):
            cfg = copy.deepcopy(cfg)
            cfg.setdefault('type', 'MeshBaseDataset')
            cfg = DATASETS.build(cfg)
        if not callable(getattr(cfg, 'prepare_sample', None)):
            raise TypeError(f'MeshMixDataset needs mesh datasets with prepare_sample(index, aug_seed), '
                            f'got {type(cfg).__name__}')
        return cfg

    def full_init(self) -> None:
        """Load the sub-datasets and fix the number of slots of each."""
        if self._fully_initialized:
            return
        for dataset in self.datasets:
            dataset.full_init()
        self.lengths = np.array([len(d) for d in self.datasets], dtype=np.int64)
        empty = [i for i, (n, w) in enumerate(zip(self.lengths, self.weights)) if n == 0 and w > 0]
        if empty:
            raise ValueError(f'sub-datasets {empty} are empty but have partition weights '
                             f'{self.weights[empty].tolist()}')
        self.length = int(self.lengths.max()) if len(self.lengths) else 0
        self.counts = slot_counts(self.weights, self.length)
        self._fully_initialized = True

    @property
    def metainfo(self) -> dict:
        """Meta information of the first sub-dataset, renamed."""
        meta = copy.deepcopy(self.datasets[0].metainfo) if self.datasets else {}
        meta['dataset_name'] = 'mesh_mix'
        return meta

    def __len__(self) -> int:
        self.full_init()
        return self.length

    def set_epoch(self, epoch: int) -> None:
        """Epoch used for plain int indices (``EpochIndex`` values carry their own)."""
        self.epoch = int(epoch)

    def _plan(self, epoch: int, sampler_seed: int) -> Tuple[np.ndarray, np.ndarray]:
        """Per-epoch dataset label of each index and its rank among that dataset's slots."""
        if self._plan_key != (epoch, sampler_seed):
            labels = np.repeat(np.arange(len(self.counts)), self.counts)
            labels = keyed_rng(self.seed, sampler_seed, epoch, _PLAN_SALT).permutation(labels)
            order = np.argsort(labels, kind='stable')
            starts = np.concatenate([[0], np.cumsum(self.counts)[:-1]])
            ranks = np.empty(len(labels), dtype=np.int64)
            ranks[order] = np.arange(len(labels)) - np.repeat(starts, self.counts)
            self._labels, self._ranks, self._plan_key = labels, ranks, (epoch, sampler_seed)
        return self._labels, self._ranks

    def _permutation(self, dataset: int, round_: int, sampler_seed: int) -> np.ndarray:
        key = (dataset, round_, sampler_seed)
        if key not in self._permutations:
            rng = keyed_rng(self.seed, sampler_seed, dataset, round_, _PERM_SALT)
            self._permutations[key] = rng.permutation(int(self.lengths[dataset]))
            # An epoch spans at most two rounds of one dataset at a time.
            while len(self._permutations) > 2 * len(self.datasets):
                self._permutations.popitem(last=False)
        return self._permutations[key]

    def locate(self, idx: Any) -> Tuple[int, int]:
        """The (sub-dataset, sample index) that ``idx`` maps to in its epoch."""
        self.full_init()
        index, epoch, sampler_seed = split_index(idx, len(self), self.epoch)
        labels, ranks = self._plan(epoch, sampler_seed)
        dataset = int(labels[index])
        position = epoch * int(self.counts[dataset]) + int(ranks[index])
        round_, offset = divmod(position, int(self.lengths[dataset]))
        return dataset, int(self._permutation(dataset, round_, sampler_seed)[offset])

    def get_data_info(self, idx: Any) -> dict:
        """The annotation that ``idx`` maps to."""
        dataset, sample = self.locate(idx)
        return self.datasets[dataset].get_data_info(sample)

    def __getitem__(self, idx: Any) -> Any:
        """Sample ``idx`` of the current epoch after its sub-dataset's pipeline."""
        self._warn_if_epochless(idx)
        dataset, sample = self.locate(idx)
        index, epoch, sampler_seed = split_index(idx, len(self), self.epoch)
        return self.datasets[dataset].prepare_sample(sample, (self.seed, sampler_seed, epoch, index))

    def _warn_if_epochless(self, idx: Any) -> None:
        if isinstance(idx, EpochIndex) or self._warned_epochless or self.epoch != 0:
            return
        self._warned_epochless = True
        print_log(
            'MeshMixDataset got a plain int index and no set_epoch(): every epoch draws the '
            "same mixture. Use sampler=dict(type='EpochAwareSampler') in the train dataloader.",
            logger='current', level=logging.WARNING)
