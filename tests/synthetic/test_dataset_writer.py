"""The synthetic dataset writer produces SPIN-format files whose labels agree with the images."""
import filecmp
import os
from pathlib import Path

import numpy as np
import pytest

from mesh_recovery.synthetic import PoseSampler
from mesh_recovery.synthetic.dataset_writer import SyntheticDatasetWriter

REPO = Path(__file__).resolve().parents[2]
BODY = REPO / 'models' / 'free_body' / 'body_model.npz'
REGRESSOR = REPO / 'models' / 'free_body' / 'joints_regressor_spin24.npy'
NUM_TRAIN, NUM_TEST, NUM_PRIOR = 8, 4, 64


def write_dataset(out_dir, num_workers, seed=3):
    writer = SyntheticDatasetWriter(str(BODY), str(REGRESSOR), str(out_dir), seed=seed,
                                    num_workers=num_workers)
    writer.write_train(NUM_TRAIN)
    writer.write_test(NUM_TEST)
    writer.write_prior(NUM_PRIOR)
    return writer


@pytest.fixture(scope='module')
def dataset(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp('synthetic')
    return write_dataset(out_dir, num_workers=2), out_dir


def load(out_dir, name):
    with np.load(out_dir / 'mesh_annotation_files' / f'{name}.npz') as data:
        return {k: data[k] for k in data.files}


def test_files_have_the_spin_layout(dataset):
    _, out_dir = dataset
    train = load(out_dir, 'synthetic_train')
    assert sorted(train) == sorted(['imgname', 'center', 'scale', 'part', 'S', 'pose', 'shape', 'has_smpl',
                                    'focal_length'])
    assert train['part'].shape == (NUM_TRAIN, 24, 3) and train['S'].shape == (NUM_TRAIN, 24, 4)
    assert train['pose'].shape == (NUM_TRAIN, 72) and train['shape'].shape == (NUM_TRAIN, 10)
    assert np.all(train['has_smpl'] == 1) and np.all(train['S'][..., 3] == 1)
    # The real Human3.6M protocol files' keys, plus the true focal length (for CLIFF).
    assert sorted(load(out_dir, 'synthetic_test')) == ['S', 'center', 'focal_length', 'imgname', 'scale']
    cameras = load(out_dir, 'synthetic_train_cameras')
    np.testing.assert_array_equal(train['focal_length'], cameras['focal_length'][:, 0].astype(np.float32))
    prior = load(out_dir, 'synthetic_mosh')
    assert prior['pose'].shape == (NUM_PRIOR, 72) and prior['shape'].shape == (NUM_PRIOR, 10)
    for name in train['imgname']:
        assert (out_dir / str(name)).is_file()


def test_projected_3d_joints_land_on_2d_joints(dataset):
    _, out_dir = dataset
    train = load(out_dir, 'synthetic_train')
    cameras = load(out_dir, 'synthetic_train_cameras')
    joints = train['S'][..., :3]
    focal = cameras['focal_length'][:, None, :]
    centre = cameras['principal_point'][:, None, :]
    projected = joints[..., :2] / joints[..., 2:3] * focal + centre
    assert np.abs(projected - train['part'][..., :2]).max() < 0.5


def test_visible_joints_lie_on_the_person(dataset):
    writer, _ = dataset
    for index in range(NUM_TRAIN):
        sample = writer.render_sample('train', index)
        part = sample.record['part']
        visible = part[:, 2] > 0
        assert visible.sum() >= 8, 'most joints of a person in view should be visible'
        cols, rows = np.round(part[visible, :2]).astype(int).T
        assert sample.mask[rows, cols].mean() >= 0.9


def test_box_covers_the_person(dataset):
    writer, _ = dataset
    sample = writer.render_sample('train', 0)
    rows, cols = np.nonzero(sample.mask)
    half = sample.record['scale'] * 200 / 2
    centre = sample.record['center']
    assert cols.min() >= centre[0] - half and cols.max() <= centre[0] + half
    assert rows.min() >= centre[1] - half and rows.max() <= centre[1] + half


def test_same_seed_gives_identical_files_whatever_the_workers(dataset, tmp_path):
    _, out_dir = dataset
    write_dataset(tmp_path, num_workers=1)
    for root, _, files in os.walk(out_dir):
        for name in files:
            path = Path(root) / name
            assert filecmp.cmp(path, tmp_path / path.relative_to(out_dir), shallow=False), path


def test_other_seed_gives_other_data(dataset, tmp_path):
    writer = SyntheticDatasetWriter(str(BODY), str(REGRESSOR), str(tmp_path), seed=4, num_workers=1)
    writer.write_prior(NUM_PRIOR)
    assert not np.allclose(load(tmp_path, 'synthetic_mosh')['pose'], load(dataset[1], 'synthetic_mosh')['pose'])


def test_prior_poses_respect_the_sampler_limits(dataset):
    prior = load(dataset[1], 'synthetic_mosh')
    assert PoseSampler().within_limits(prior['pose']).all()
