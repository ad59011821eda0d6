"""MPI-INF-3DHP converter on fabricated annot.mat / annot_data.mat / videos: filters, counter, joints."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import scipy.io
from raw_fixtures import frame_index, write_video

from mesh_recovery.conventions.keypoints import SPIN_24
from mesh_recovery.datasets.converters import mpi_inf_3dhp
from mesh_recovery.datasets.converters.convert_options import ConvertOptions
from mesh_recovery.utils.errors import BadFileError

QUIET = ConvertOptions(progress=False)
OUTSIDE = -1.0


def _annot(frames_in, frames_total):
    """annot2 (F, 56) with the first ``frames_in`` frames inside the image; annot3 (F, 84)."""
    annot2 = np.full((frames_total, 28, 2), OUTSIDE)
    for f in range(frames_in):
        annot2[f] = np.stack([100 + np.arange(28) * 10 + f, 200 + np.arange(28) * 5], axis=1)
    annot3 = np.tile(np.arange(84, dtype=np.float64) * 10, (frames_total, 1))
    return annot2.reshape(frames_total, 56), annot3


def _write_train(root):
    for subject in range(1, 9):
        for seq in range(1, 3):
            cells2 = np.empty((14, 1), dtype=object)
            cells3 = np.empty((14, 1), dtype=object)
            for camera in range(14):
                frames_in = {(1, 1, 0): 12, (1, 1, 1): 10, (1, 1, 3): 12}.get((subject, seq, camera), 0)
                cells2[camera, 0], cells3[camera, 0] = _annot(frames_in, 12)
            folder = osp.join(root, f'S{subject}', f'Seq{seq}')
            os.makedirs(folder)
            scipy.io.savemat(osp.join(folder, 'annot.mat'), {'annot2': cells2, 'annot3': cells3})
    for camera in (0, 1):
        write_video(osp.join(root, 'S1', 'Seq1', 'imageSequence', f'video_{camera}.avi'), 12, 'MJPG')


def test_train_counter_cameras_and_joints(tmp_path):
    root = str(tmp_path / 'mpi_inf_3dhp')
    _write_train(root)
    out = np.load(mpi_inf_3dhp.convert(root, str(tmp_path / 'ann'), QUIET, 'train')[0])
    # Counter over used frames: video 0 frames 0-11 are counts 1-12 (keep 1, 11); video 1 frames 0-9 are
    # counts 13-22 (keep 21 = frame 8); camera 3 is skipped although its joints are inside the image.
    assert list(out['imgname']) == ['S1/Seq1/imageFrames/video_0/frame_000001.jpg',
                                    'S1/Seq1/imageFrames/video_0/frame_000011.jpg',
                                    'S1/Seq1/imageFrames/video_1/frame_000009.jpg']
    for name, index in zip(out['imgname'], (0, 10, 8)):
        assert frame_index(osp.join(root, name)) == index
    written = sorted(os.listdir(osp.join(root, 'S1', 'Seq1', 'imageFrames', 'video_0')))
    assert written == ['frame_000001.jpg', 'frame_000011.jpg']
    # 2D: joint 25 (right ankle) of frame 10 is (100 + 250 + 10, 200 + 125); box over the 17 used joints.
    np.testing.assert_allclose(out['part'][1, SPIN_24.index('right_ankle')], [360, 325, 1])
    xs = 100 + 10 * np.array([4, 18, 19, 20, 23, 24, 25, 3, 5, 6, 7, 9, 10, 11, 14, 15, 16]) + 10
    np.testing.assert_allclose(out['center'][1, 0], (xs.min() + xs.max()) / 2)
    assert out['scale'][1] == pytest.approx(1.2 * (xs.max() - xs.min()) / 200)
    # 3D: (joint 25 - joint 4, the pelvis) * 3 columns * 10 mm -> metres.
    np.testing.assert_allclose(out['S'][0, SPIN_24.index('right_ankle')], [0.63, 0.63, 0.63, 1])
    assert out['S'][0, SPIN_24.index('pelvis_mpii'), :3].tolist() == [0, 0, 0]


def test_train_video_shorter_than_annotations(tmp_path):
    root = str(tmp_path / 'mpi_inf_3dhp')
    _write_train(root)
    write_video(osp.join(root, 'S1', 'Seq1', 'imageSequence', 'video_0.avi'), 5, 'MJPG')
    with pytest.raises(BadFileError, match=r'video_0.avi ends before frame 11'):
        mpi_inf_3dhp.convert(root, str(tmp_path / 'ann'), QUIET, 'train')


def test_test_split_valid_and_in_image(tmp_path):
    import h5py
    root = tmp_path / 'mpi_inf_3dhp'
    for number in range(1, 7):
        folder = root / 'mpi_inf_3dhp_test_set' / f'TS{number}'
        (folder / 'imageSequence').mkdir(parents=True)
        annot2 = np.zeros((3, 1, 17, 2))
        annot2[:, 0, :, 0] = 5 + np.arange(17)  # x 5..21
        annot2[:, 0, :, 1] = 3 + np.arange(17)  # y 3..19
        annot2[2, 0, 4, 0] = 40  # frame 2: one joint right of the 40-pixel-wide image
        annot3 = np.tile(np.arange(17, dtype=np.float64)[:, None] * 100, (3, 1, 1, 3))
        with h5py.File(folder / 'annot_data.mat', 'w') as f:
            f['annot2'], f['univ_annot3'] = annot2, annot3
            f['valid_frame'] = np.array([[1], [0], [1]])
        for frame in (1, 3):
            cv2.imwrite(str(folder / 'imageSequence' / f'img_{frame:06d}.jpg'), np.zeros((30, 40, 3), np.uint8))
    out = np.load(mpi_inf_3dhp.convert(str(root), str(tmp_path / 'ann'), QUIET, 'test')[0])
    assert list(out['imgname']) == [f'mpi_inf_3dhp_test_set/TS{n}/imageSequence/img_000001.jpg' for n in range(1, 7)]
    np.testing.assert_allclose(out['center'][0], [13, 11])
    # Test joint 0 (head top) fills head_h36m; root joint 14 (pelvis): (0 - 14) * 100 mm.
    np.testing.assert_allclose(out['S'][0, SPIN_24.index('head_h36m')], [-1.4, -1.4, -1.4, 1])
    np.testing.assert_array_equal(out['part'][0, SPIN_24.index('head_h36m')], [5, 3, 1])


def test_all_frames_writes_every_frame_of_every_video(tmp_path):
    root = str(tmp_path / 'mpi_inf_3dhp')
    _write_train(root)
    for subject in range(1, 9):
        for seq in range(1, 3):
            for camera in (0, 1, 2, 4, 5, 6, 7, 8):
                path = osp.join(root, f'S{subject}', f'Seq{seq}', 'imageSequence', f'video_{camera}.avi')
                if not osp.exists(path):
                    write_video(path, 12, 'MJPG', size=(16, 16))
    options = ConvertOptions(progress=False, all_frames=True)
    out = np.load(mpi_inf_3dhp.convert(root, str(tmp_path / 'ann'), options, 'train')[0])
    assert len(out['imgname']) == 3
    frames = sorted(os.listdir(osp.join(root, 'S8', 'Seq2', 'imageFrames', 'video_8')))
    assert frames == [f'frame_{k:06d}.jpg' for k in range(1, 13)]
    assert frame_index(osp.join(root, 'S1', 'Seq1', 'imageFrames', 'video_0', 'frame_000007.jpg')) == 6


def test_fits_add_smpl_parameters(tmp_path):
    root = str(tmp_path / 'mpi_inf_3dhp')
    _write_train(root)
    fits = tmp_path / 'fits.npz'
    np.savez(fits, pose=np.ones((3, 72)), shape=np.full((3, 10), 2.0), has_smpl=np.array([1.0, 0.0, 1.0]))
    options = ConvertOptions(progress=False, fits=str(fits))
    out = np.load(mpi_inf_3dhp.convert(root, str(tmp_path / 'ann'), options, 'train')[0])
    np.testing.assert_array_equal(out['has_smpl'], [1, 0, 1])
    assert out['pose'].shape == (3, 72) and (out['shape'] == 2).all()
    np.savez(fits, pose=np.ones((4, 72)), shape=np.ones((4, 10)), has_smpl=np.ones(4))
    with pytest.raises(BadFileError, match='pose has 4 rows but the converted file has 3 samples'):
        mpi_inf_3dhp.convert(root, str(tmp_path / 'ann'), options, 'train')
