"""mmengine's ``DefaultSampler`` whose indices also tell the dataset the epoch."""
from typing import Iterator

from mmengine.dataset import DefaultSampler

from mesh_recovery.registry import DATA_SAMPLERS

from .seeding import EpochIndex


@DATA_SAMPLERS.register_module()
class EpochAwareSampler(DefaultSampler):
    """``DefaultSampler`` yielding :class:`EpochIndex` values.

    Same order, sharding and arguments as ``DefaultSampler`` (``shuffle``,
    ``seed``, ``round_up``); mmengine's train loop calls ``set_epoch`` before
    each epoch. Each yielded index also carries ``epoch`` and ``seed``, which
    :class:`MeshMixDataset`, :class:`MeshAdversarialDataset` and
    :class:`MeshBaseDataset` use to draw per-sample randomness that is
    reproducible, changes every epoch and does not depend on the workers.

    Config: ``sampler=dict(type='EpochAwareSampler', shuffle=True)``.
    """

    def __iter__(self) -> Iterator[int]:
        epoch, seed = self.epoch, self.seed
        return (EpochIndex(index, epoch, seed) for index in super().__iter__())
