"""The optional per-image focal length of annotation files (CLIFF's full-image camera)."""
import numpy as np
import pytest

from mesh_recovery.datasets.spin_annotations import load_spin_annotations
from mesh_recovery.datasets.transforms import PackMeshInputs


def _write(path, **extra):
    np.savez(path, imgname=np.array(['a.jpg', 'b.jpg']), center=np.zeros((2, 2)), scale=np.ones(2), **extra)
    return str(path)


def test_absent_is_zero_meaning_unknown(tmp_path):
    np.testing.assert_array_equal(load_spin_annotations(_write(tmp_path / 'a.npz'))['focal_length'], [0.0, 0.0])


def test_per_image_values_and_square_pixel_pairs(tmp_path):
    assert load_spin_annotations(_write(tmp_path / 'a.npz', focal_length=np.array([900.0, 1200.0])))[
        'focal_length'].tolist() == [900.0, 1200.0]
    pairs = np.array([[900.0, 900.0], [1200.0, 1200.0]])
    assert load_spin_annotations(_write(tmp_path / 'b.npz', focal_length=pairs))['focal_length'].tolist() == [
        900.0, 1200.0]
    with pytest.raises(ValueError, match='differ'):
        load_spin_annotations(_write(tmp_path / 'c.npz', focal_length=np.array([[900.0, 800.0], [1.0, 1.0]])))
    with pytest.raises(ValueError, match='>= 0'):
        load_spin_annotations(_write(tmp_path / 'd.npz', focal_length=np.array([-1.0, 5.0])))


def _sample(**extra):
    return dict(img=np.zeros((8, 8, 3), np.uint8), ori_shape=(300, 400), keypoints_2d=np.zeros((24, 3)),
                keypoints_3d=np.zeros((24, 4)), pose=np.zeros(72), betas=np.zeros(10), has_smpl=0.0, gender=-1,
                center=np.zeros(2), scale=1.0, sample_idx=0, **extra)


def test_pack_uses_the_known_focal_length_else_clifs_estimate():
    known = PackMeshInputs()(_sample(focal_length=np.float32(1000.0)))['data_samples']
    assert known['focal_length'].item() == 1000.0 and known['ori_shape'].tolist() == [300.0, 400.0]
    unknown = PackMeshInputs()(_sample(focal_length=np.float32(0.0)))['data_samples']
    assert unknown['focal_length'].item() == pytest.approx(500.0)  # sqrt(400^2 + 300^2)
    with pytest.raises(KeyError, match='ori_shape'):
        PackMeshInputs()({k: v for k, v in _sample().items() if k != 'ori_shape'})
