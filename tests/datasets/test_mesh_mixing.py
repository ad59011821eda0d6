"""MeshMixDataset and MeshAdversarialDataset: partition, index use, epochs, workers."""
import numpy as np
import pytest
import torch
from dataset_helpers import write_spin_npz
from mmengine.dataset import default_collate
from torch.utils.data import DataLoader

from mesh_recovery.datasets import EpochAwareSampler, EpochIndex, MeshAdversarialDataset, MeshMixDataset
from mesh_recovery.registry import DATA_SAMPLERS, DATASETS

LENGTHS = (50, 200, 120)
PARTITION = (0.5, 0.3, 0.2)


@pytest.fixture()
def sub_configs(tmp_path):
    configs = []
    for k, num in enumerate(LENGTHS):
        path = tmp_path / f'part_{k}.npz'
        write_spin_npz(path, num, seed=k)
        configs.append(dict(ann_file=str(path), img_prefix=f'dataset_{k}'))
    return configs


def _mix(sub_configs, seed=0):
    return DATASETS.build(dict(type='MeshMixDataset', configs=sub_configs, partition=list(PARTITION), seed=seed))


def _epoch_map(mix, epoch):
    return np.array([mix.locate(EpochIndex(i, epoch)) for i in range(len(mix))])


@pytest.mark.parametrize('partition, match', [
    ([0.5, 0.5], 'one weight per dataset'),
    ([0.7, 0.5, -0.2], 'non-negative'),
    ([0.5, 0.3, 0.3], r'\[0.5, 0.3, 0.3\] sums to 1.1'),
])
def test_partition_is_validated(sub_configs, partition, match):
    with pytest.raises(ValueError, match=match):
        MeshMixDataset(sub_configs, partition)


def test_partition_counts_exact_and_coverage(sub_configs):
    mix = _mix(sub_configs)
    assert len(mix) == max(LENGTHS)  # mmpose: the largest sub-dataset
    per_dataset = {k: np.zeros(n, int) for k, n in enumerate(LENGTHS)}
    for epoch in range(5):
        mapping = _epoch_map(mix, epoch)
        np.testing.assert_array_equal(np.bincount(mapping[:, 0], minlength=3), [100, 60, 40])
        for k, j in mapping:
            per_dataset[k][j] += 1
    # Without replacement: 5 epochs x 100 slots over 50 samples = exactly 10 each; 300 over 200
    # samples and 200 over 120 are whole permutations plus a partial one (each sample 1-2 times).
    assert (per_dataset[0] == 10).all()
    assert set(np.unique(per_dataset[1])) <= {1, 2} and per_dataset[1].sum() == 300
    assert set(np.unique(per_dataset[2])) <= {1, 2} and per_dataset[2].sum() == 200


def test_mapping_uses_index_is_reproducible_and_changes_with_epoch(sub_configs):
    mix, again, other_seed = _mix(sub_configs), _mix(sub_configs), _mix(sub_configs, seed=1)
    epoch0, epoch1 = _epoch_map(mix, 0), _epoch_map(mix, 1)
    np.testing.assert_array_equal(epoch0, _epoch_map(again, 0))
    assert (epoch0 != epoch1).any(axis=1).mean() > 0.5
    assert (epoch0 != _epoch_map(other_seed, 0)).any(axis=1).mean() > 0.5
    for k in (1, 2):  # fewer slots than samples: distinct indices get distinct samples
        assert len(set(epoch0[epoch0[:, 0] == k, 1])) == (epoch0[:, 0] == k).sum()
    # __getitem__ returns the sample its index maps to (mmpose ignored the index).
    for i in (0, 7, 199):
        k, j = epoch1[i]
        sample = mix[EpochIndex(i, 1)]
        assert sample['img_path'] == mix.datasets[k].get_data_info(j)['img_path']
        assert sample['img_path'].startswith(f'dataset_{k}')
        assert sample['aug_seed'] == (0, 0, 1, i)
    # Plain ints use the epoch set on the dataset.
    mix.set_epoch(1)
    assert mix[7]['img_path'] == mix[EpochIndex(7, 1)]['img_path']


def test_adversarial_pairing_statistics(tmp_path, sub_configs):
    write_spin_npz(tmp_path / 'mosh.npz', 4, keys=('pose', 'shape'))
    dataset = MeshAdversarialDataset(train_dataset=dict(type='MeshMixDataset', configs=sub_configs,
                                                        partition=list(PARTITION)),
                                     adversarial_dataset=dict(type='MoshDataset', ann_file=str(tmp_path / 'mosh.npz')))
    pairs = np.array([[dataset.adversarial_index(EpochIndex(i, e)) for i in range(len(dataset))]
                      for e in range(20)])
    counts = np.bincount(pairs.ravel(), minlength=4)
    # 4000 uniform draws over 4 samples: 1000 each, sigma ~27.
    assert np.abs(counts - 1000).max() < 110
    assert (pairs[0] != pairs[1]).mean() > 0.6  # a new pairing each epoch
    sample = dataset[EpochIndex(3, 2)]
    expected = dataset.adversarial_dataset.get_data_info(pairs[2, 3])['mosh_theta']
    np.testing.assert_array_equal(sample['mosh_theta'].numpy(), expected)


def _collect(dataset, num_workers, epochs):
    sampler = DATA_SAMPLERS.build(dict(type='EpochAwareSampler', shuffle=True, seed=5),
                                  default_args=dict(dataset=dataset))
    assert isinstance(sampler, EpochAwareSampler)
    loader = DataLoader(dataset, batch_size=16, sampler=sampler, num_workers=num_workers,
                        collate_fn=default_collate, persistent_workers=num_workers > 0)
    out = []
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        batches = list(loader)
        out.append((torch.cat([b['mosh_theta'] for b in batches]),
                    [p for b in batches for p in b['img_path']]))
    return out


def test_workers_are_reproducible_and_epochs_differ(tmp_path, sub_configs):
    write_spin_npz(tmp_path / 'mosh.npz', 30, keys=('pose', 'shape'))
    dataset = MeshAdversarialDataset(
        train_dataset=dict(type='MeshMixDataset', configs=sub_configs[:2], partition=[0.6, 0.4]),
        adversarial_dataset=dict(type='MoshDataset', ann_file=str(tmp_path / 'mosh.npz')))
    in_process = _collect(dataset, 0, 2)
    with_workers = _collect(dataset, 2, 2)
    for (theta_a, paths_a), (theta_b, paths_b) in zip(in_process, with_workers):
        torch.testing.assert_close(theta_a, theta_b, rtol=0, atol=0)
        assert paths_a == paths_b
    (theta_0, paths_0), (theta_1, paths_1) = with_workers
    assert len(paths_0) == len(dataset) == 200
    assert (theta_0 != theta_1).any(dim=1).float().mean() > 0.5
    assert paths_0 != paths_1


def test_config_builds_through_mmengine_runner(tmp_path, sub_configs):
    from mmengine.registry import DefaultScope
    from mmengine.runner import Runner

    write_spin_npz(tmp_path / 'mosh.npz', 8, keys=('pose', 'shape'))
    dataloader = dict(
        batch_size=4, num_workers=0,
        sampler=dict(type='EpochAwareSampler', shuffle=True),
        collate_fn=dict(type='default_collate'),
        dataset=dict(type='MeshAdversarialDataset',
                     train_dataset=dict(type='MeshMixDataset', configs=sub_configs, partition=list(PARTITION)),
                     adversarial_dataset=dict(type='MoshDataset', ann_file=str(tmp_path / 'mosh.npz'))))
    with DefaultScope.overwrite_default_scope('mesh_recovery'):
        loader = Runner.build_dataloader(dataloader, seed=11)
    assert isinstance(loader.sampler, EpochAwareSampler) and loader.sampler.seed == 11
    first = next(iter(loader))
    loader.sampler.set_epoch(1)
    second = next(iter(loader))
    assert first['mosh_theta'].shape == (4, 85)
    assert [tuple(s) for s in zip(*first['aug_seed'])][0][:3] == (0, 11, 0)
    assert [tuple(s) for s in zip(*second['aug_seed'])][0][:3] == (0, 11, 1)


def test_keyed_index_depends_on_the_key_alone_and_rejects_empty_ranges():
    from mesh_recovery.datasets.seeding import keyed_index
    assert keyed_index(1000, 1, 2, 3) == keyed_index(1000, 1, 2, 3)
    draws = {keyed_index(1000, 0, 0, epoch, 7) for epoch in range(50)}
    assert len(draws) > 40 and all(0 <= d < 1000 for d in draws)
    assert keyed_index(1000, -1, 5) != keyed_index(1000, 1, 5)  # negative ints are distinct keys
    with pytest.raises(ValueError, match='positive size, got 0'):
        keyed_index(0, 1, 2)
