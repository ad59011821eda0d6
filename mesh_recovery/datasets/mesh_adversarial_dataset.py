"""Training samples paired with real SMPL parameters for the discriminator."""
import copy
import logging
from typing import Any, List, Optional, Union

import numpy as np
import torch
from mmengine.logging import print_log
from torch.utils.data import Dataset

from mesh_recovery.registry import DATASETS
from mesh_recovery.utils.asset_needs import FileNeed

from .file_needs import dataset_files

from .seeding import EpochIndex, keyed_index, salt, split_index

_PAIR_SALT = salt('MeshAdversarialDataset.pair')


def _build(cfg: Union[dict, Dataset]) -> Dataset:
    return DATASETS.build(copy.deepcopy(cfg)) if isinstance(cfg, dict) else cfg


def _mosh_theta(sample: Any) -> torch.Tensor:
    """The (85,) float32 ``mosh_theta`` of a MoSh sample, packed or not."""
    if isinstance(sample, dict) and 'mosh_theta' not in sample and isinstance(sample.get('data_samples'), dict):
        sample = sample['data_samples']
    if not isinstance(sample, dict) or 'mosh_theta' not in sample:
        keys = sorted(sample) if isinstance(sample, dict) else type(sample).__name__
        raise KeyError(f"adversarial samples must provide 'mosh_theta'; got {keys}")
    return torch.as_tensor(np.asarray(sample['mosh_theta'], dtype=np.float32))


@DATASETS.register_module()
class MeshAdversarialDataset(Dataset):
    """Pair every training sample with a random MoSh sample (mmpose 0.x compatible).

    Sample ``i`` of epoch ``e`` is paired with MoSh index drawn uniformly by a
    generator keyed by ``(seed, sampler seed, e, i)``: reproducible, different
    across epochs and the same for any number of DataLoader workers (mmpose's
    pairing repeated itself every epoch; docs/data_contract.md lists such differences). The MoSh ``mosh_theta``
    (85,) is added to the training sample's ``data_samples`` dict (or to the
    sample itself when its pipeline does not pack).

    Args:
        train_dataset: Config or dataset of training samples (e.g. ``MeshMixDataset``).
        adversarial_dataset: Config or dataset with ``mosh_theta`` (``MoshDataset``).
        seed: Dataset seed of the pairing stream.
    """

    @classmethod
    def needed_files(cls, train_dataset: Optional[Union[dict, Dataset]] = None,
                     adversarial_dataset: Optional[Union[dict, Dataset]] = None, **kwargs) -> List[FileNeed]:
        """The files of both datasets (asked from their classes)."""
        return dataset_files(train_dataset) + dataset_files(adversarial_dataset)

    def __init__(self, train_dataset: Union[dict, Dataset], adversarial_dataset: Union[dict, Dataset],
                 seed: int = 0) -> None:
        self.train_dataset = _build(train_dataset)
        self.adversarial_dataset = _build(adversarial_dataset)
        self.seed = int(seed)
        self.epoch = 0
        self._warned_epochless = False

    @property
    def metainfo(self) -> dict:
        """Meta information of the training dataset."""
        return copy.deepcopy(getattr(self.train_dataset, 'metainfo', {}))

    def full_init(self) -> None:
        """Fully initialise both datasets."""
        for dataset in (self.train_dataset, self.adversarial_dataset):
            if hasattr(dataset, 'full_init'):
                dataset.full_init()
        if len(self.adversarial_dataset) == 0:
            raise ValueError('the adversarial dataset is empty: nothing to pair training samples with')

    def __len__(self) -> int:
        return len(self.train_dataset)

    def set_epoch(self, epoch: int) -> None:
        """Epoch for plain int indices; forwarded to the training dataset."""
        self.epoch = int(epoch)
        if hasattr(self.train_dataset, 'set_epoch'):
            self.train_dataset.set_epoch(epoch)

    def adversarial_index(self, idx: Any) -> int:
        """The MoSh index paired with training index ``idx`` in its epoch."""
        index, epoch, sampler_seed = split_index(idx, len(self), self.epoch)
        return keyed_index(len(self.adversarial_dataset), self.seed, sampler_seed, epoch, index, _PAIR_SALT)

    def __getitem__(self, idx: Any) -> Any:
        """Training sample ``idx`` with ``mosh_theta`` (85,) float32 of its MoSh partner."""
        if not isinstance(idx, EpochIndex) and not self._warned_epochless and self.epoch == 0:
            self._warned_epochless = True
            print_log(
                'MeshAdversarialDataset got a plain int index and no set_epoch(): the pairing '
                "repeats every epoch. Use sampler=dict(type='EpochAwareSampler').",
                logger='current', level=logging.WARNING)
        data = self.train_dataset[idx]
        theta = _mosh_theta(self.adversarial_dataset[self.adversarial_index(idx)])
        target = data.get('data_samples') if isinstance(data, dict) else None
        if not isinstance(target, dict):
            target = data
        target['mosh_theta'] = theta
        return data
