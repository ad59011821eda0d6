"""LSP, HR-LSPET, MPII, COCO, 3DPW converters on fabricated raw files, values worked by hand."""
import json
import os
import os.path as osp
import pickle
import re

import numpy as np
import pytest
import scipy.io

from mesh_recovery.datasets.converters import lsp, lspet, mpii, coco, pw3d
from mesh_recovery.datasets.converters.convert_options import ConvertOptions
from mesh_recovery.utils.errors import BadFileError, MissingFileError

QUIET = ConvertOptions(progress=False)


def _load(path):
    with np.load(path) as npz:
        return {k: npz[k] for k in npz.files}


def test_lsp_first_1000_all_visible(tmp_path):
    joints = np.zeros((3, 14, 2000))
    joints[0, :, 0] = np.linspace(10, 110, 14)  # x 10..110
    joints[1, :, 0] = np.linspace(20, 220, 14)  # y 20..220
    joints[2, :, 0] = 1  # the file's third row; SPIN ignores it
    joints[:2, :, 1:] = 5
    joints[0, 3, 1] = 45  # image 2: x 5..45, y 5..5
    scipy.io.savemat(tmp_path / 'joints.mat', {'joints': joints})
    out = _load(lsp.convert(str(tmp_path), str(tmp_path / 'out'), QUIET)[0])
    assert sorted(out) == ['center', 'imgname', 'part', 'scale']
    assert len(out['imgname']) == 1000
    assert out['imgname'][0] == 'images/im0001.jpg' and out['imgname'][999] == 'images/im1000.jpg'
    assert out['center'].dtype == np.float64 and out['part'].shape == (1000, 24, 3)
    np.testing.assert_allclose(out['center'][0], [60, 120])
    assert out['scale'][0] == pytest.approx(1.2 * 200 / 200)
    np.testing.assert_allclose(out['center'][1], [25, 5])
    assert out['scale'][1] == pytest.approx(1.2 * 40 / 200)
    np.testing.assert_allclose(out['part'][0, :14, 0], joints[0, :, 0])
    assert (out['part'][:, :14, 2] == 1).all() and (out['part'][:, 14:] == 0).all()


def test_lsp_short_joints_file_is_an_error(tmp_path):
    scipy.io.savemat(tmp_path / 'joints.mat', {'joints': np.zeros((3, 14, 10))})
    with pytest.raises(BadFileError, match='joints.mat.*10 images, expected 2000'):
        lsp.convert(str(tmp_path), str(tmp_path / 'out'), QUIET)
    with pytest.raises(MissingFileError, match='LSP.*joints.mat'):
        lsp.convert(str(tmp_path / 'nowhere'), str(tmp_path / 'out'), QUIET)


def _lspet(tmp_path):
    joints = np.zeros((14, 3, 3))
    joints[:, 0, :] = 50 + np.arange(14)[:, None]  # x 50..63
    joints[:, 1, :] = 100 + 2 * np.arange(14)[:, None]  # y 100..126
    joints[:, 2, :] = 1
    joints[13, :, 1] = 0  # image 2: head top unannotated, at (0, 0) with visibility 0
    scipy.io.savemat(tmp_path / 'joints.mat', {'joints': joints})
    for name in ('im00003.png', 'im00001.png', 'im00002.png'):
        (tmp_path / name).write_bytes(b'')


def test_lspet_sorted_images_box_over_all_joints_by_default(tmp_path):
    _lspet(tmp_path)
    out = _load(lspet.convert(str(tmp_path), str(tmp_path / 'spin'), QUIET)[0])
    assert list(out['imgname']) == ['im00001.png', 'im00002.png', 'im00003.png']
    np.testing.assert_allclose(out['center'][0], [56.5, 113])
    assert out['scale'][0] == pytest.approx(1.2 * 26 / 200)
    # SPIN: the (0, 0) joint counts in the box and is marked visible.
    np.testing.assert_allclose(out['center'][1], [(0 + 62) / 2, (0 + 124) / 2])
    assert out['scale'][1] == pytest.approx(1.2 * 124 / 200)
    assert out['part'][1, 13, 2] == 1
    fixed = _load(lspet.convert(str(tmp_path), str(tmp_path / 'fixed'), ConvertOptions(corrected=True,
                                                                                       progress=False))[0])
    np.testing.assert_allclose(fixed['center'][1], [(50 + 62) / 2, (100 + 124) / 2])
    assert fixed['scale'][1] == pytest.approx(1.2 * 24 / 200)
    assert fixed['part'][1, 13, 2] == 0 and fixed['part'][1, 12, 2] == 1


def test_mpii_drops_rows_with_a_zero_coordinate(tmp_path):
    import h5py
    part = np.tile(np.arange(1, 17, dtype=np.float64)[:, None] * [1, 10], (3, 1, 1))
    part[1, 5, 1] = 0  # row 1: one coordinate not > 0
    with h5py.File(tmp_path / 'train.h5', 'w') as f:
        f['center'] = np.array([[10., 20.], [30., 40.], [50., 60.]])
        f['scale'] = np.array([1.5, 2.5, 3.5])
        f['part'] = part
        f['imgname'] = np.array([b'a.jpg', b'b.jpg', b'c.jpg'])
    out = _load(mpii.convert(str(tmp_path), str(tmp_path / 'out'), QUIET)[0])
    assert list(out['imgname']) == ['images/a.jpg', 'images/c.jpg']
    np.testing.assert_array_equal(out['center'], [[10, 20], [50, 60]])
    np.testing.assert_array_equal(out['scale'], [1.5, 3.5])
    # MPII joint 6 (pelvis) -> SPIN slot 14, joint 9 (head top) -> 13, joint 10 (right wrist) -> 6.
    np.testing.assert_array_equal(out['part'][0, 14], [7, 70, 1])
    np.testing.assert_array_equal(out['part'][0, 13], [10, 100, 1])
    np.testing.assert_array_equal(out['part'][0, 6], [11, 110, 1])
    assert out['part'][0, 16:].sum() == 0


def _coco_json(tmp_path):
    full = [float(v) for k in range(17) for v in (10 + k, 20 + k, 2)]
    no_ankle = list(full)
    no_ankle[16 * 3 + 2] = 0
    data = {'images': [{'id': 7, 'file_name': 'COCO_train2014_000000000007.jpg'}],
            'annotations': [
                {'id': 1, 'image_id': 7, 'bbox': [10, 20, 40, 80], 'keypoints': full, 'iscrowd': 0},
                {'id': 2, 'image_id': 7, 'bbox': [0, 0, 5, 5], 'keypoints': no_ankle, 'iscrowd': 0},
                {'id': 3, 'image_id': 7, 'bbox': [1, 2, 30, 10], 'keypoints': full, 'iscrowd': 1}]}
    os.makedirs(tmp_path / 'annotations')
    (tmp_path / 'annotations' / 'person_keypoints_train2014.json').write_text(json.dumps(data))


def test_coco_filters_order_and_box(tmp_path):
    _coco_json(tmp_path)
    out = _load(coco.convert(str(tmp_path), str(tmp_path / 'out'), QUIET)[0])
    assert list(out['imgname']) == ['train2014/COCO_train2014_000000000007.jpg'] * 2  # ids 1 and 3
    np.testing.assert_allclose(out['center'], [[30, 60], [16, 7]])
    np.testing.assert_allclose(out['scale'], [1.2 * 80 / 200, 1.2 * 30 / 200])
    np.testing.assert_array_equal(out['part'][0, 19], [10, 20, 1])  # nose
    np.testing.assert_array_equal(out['part'][0, 0], [26, 36, 1])  # right ankle = COCO 16
    assert out['part'][0, 12:19].sum() == 0
    fixed = _load(coco.convert(str(tmp_path), str(tmp_path / 'fixed'), ConvertOptions(corrected=True,
                                                                                     progress=False))[0])
    assert len(fixed['imgname']) == 1


def _pw3d_sequence(tmp_path, name='courtyard_a_00'):
    frames = 3
    poses2d = np.zeros((frames, 3, 18))
    poses2d[:, 0, :] = np.arange(18) * 2 + 100  # x 100..134
    poses2d[:, 1, :] = np.arange(18) + 50  # y 50..67
    poses2d[:, 2, :] = 0.9
    poses2d[:, :, 17] = [500, 500, 0]  # zero confidence: not in the box
    rot_z90 = np.array([[0, -1, 0], [1, 0, 0], [0, 0, 1]], np.float64)
    cam = np.tile(np.eye(4), (frames, 1, 1))
    cam[:, :3, :3] = rot_z90
    data = {'sequence': name, 'genders': ['m', 'f'], 'cam_poses': cam,
            'poses': [np.full((frames, 72), 0.0), np.full((frames, 72), 0.1)],
            'betas': [np.arange(16, dtype=np.float64), -np.arange(16, dtype=np.float64)],
            'poses2d': [poses2d, poses2d], 'campose_valid': [np.array([1, 0, 1]), np.array([0, 1, 0])],
            'trans': [np.zeros((frames, 3))] * 2}
    folder = tmp_path / 'sequenceFiles' / 'test'
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f'{name}.pkl', 'wb') as f:
        pickle.dump(data, f, protocol=2)


def test_pw3d_valid_frames_camera_orientation_gender(tmp_path):
    _pw3d_sequence(tmp_path, 'b_seq')
    _pw3d_sequence(tmp_path, 'a_seq')
    out = _load(pw3d.convert(str(tmp_path), str(tmp_path / 'out'), QUIET)[0])
    assert sorted(out) == ['center', 'gender', 'imgname', 'pose', 'scale', 'shape']
    assert list(out['imgname'][:3]) == ['imageFiles/a_seq/image_00000.jpg', 'imageFiles/a_seq/image_00002.jpg',
                                         'imageFiles/a_seq/image_00001.jpg']
    assert list(out['gender']) == ['m', 'm', 'f', 'm', 'm', 'f']
    np.testing.assert_allclose(out['center'][0], [116, 58])  # joints 0-16: x 100..132, y 50..66
    assert out['scale'][0] == pytest.approx(1.2 * 32 / 200)
    np.testing.assert_allclose(out['pose'][0, :3], [0, 0, np.pi / 2], atol=1e-12)  # R_z(90) @ identity
    np.testing.assert_allclose(out['pose'][0, 3:], 0)
    np.testing.assert_allclose(out['pose'][2, 3:], 0.1)
    np.testing.assert_array_equal(out['shape'][2], -np.arange(10))
    assert out['pose'].dtype == np.float64


def test_pw3d_refuses_pickles_naming_other_objects(tmp_path):
    folder = tmp_path / 'sequenceFiles' / 'test'
    folder.mkdir(parents=True)
    with open(folder / 'evil.pkl', 'wb') as f:
        pickle.dump({'poses': os.getcwd}, f, protocol=2)
    with pytest.raises(BadFileError, match='evil.pkl'):
        pw3d.convert(str(tmp_path), str(tmp_path / 'out'), QUIET)
    assert not osp.exists(tmp_path / 'out')


@pytest.mark.parametrize('module, relative', [
    (lsp, 'joints.mat'), (lspet, 'joints.mat'), (mpii, 'train.h5'),
    (coco, 'annotations/person_keypoints_train2014.json')])
def test_malformed_raw_file_is_named(tmp_path, module, relative):
    path = tmp_path / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b'not the dataset file\n' * 4)
    (tmp_path / 'im00001.png').write_bytes(b'')
    with pytest.raises(BadFileError, match=re.escape(str(path))):
        module.convert(str(tmp_path), str(tmp_path / 'out'), QUIET)
    assert not (tmp_path / 'out').exists()


def test_truncated_pw3d_pickle_is_named(tmp_path):
    _pw3d_sequence(tmp_path)
    path = tmp_path / 'sequenceFiles' / 'test' / 'courtyard_a_00.pkl'
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(BadFileError, match='courtyard_a_00.pkl'):
        pw3d.convert(str(tmp_path), str(tmp_path / 'out'), QUIET)
