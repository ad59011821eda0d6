"""Human3.6M converter on fabricated CDF / mask / video files: frame pairing, sampling, boxes, resume."""
import os
import os.path as osp

import numpy as np
import pytest
from raw_fixtures import frame_index, h36m_box, h36m_pose, write_h36m_sequence

from mesh_recovery.conventions.keypoints import H36M_REGRESSOR_17, SPIN_24, joint_indices
from mesh_recovery.datasets.converters import h36m, video_frames
from mesh_recovery.datasets.converters.convert_options import ConvertOptions
from mesh_recovery.datasets.converters.joint_names import H36M_32
from mesh_recovery.utils.errors import BadFileError

# S9: 12 poses and 12 video frames; S11 (frontal camera): 11 poses, 11 frames.
SEQUENCES = (('S9', 'Directions 1.54138969', 12, 12), ('S11', 'Walking 1.60457274', 11, 11))


@pytest.fixture(scope='module')
def raw(tmp_path_factory):
    root = tmp_path_factory.mktemp('h36m_raw')
    for subject, name, poses, frames in SEQUENCES:
        write_h36m_sequence(str(root), subject, name, poses, frames)
    return str(root)


def _load(path):
    with np.load(path) as npz:
        return {k: npz[k] for k in npz.files}


def _convert(raw, tmp_path, **kwargs):
    options = ConvertOptions(images=str(tmp_path / 'images_root'), progress=False, **kwargs)
    paths = h36m.convert(raw, str(tmp_path / 'ann'), options, 'test')
    return [_load(p) for p in paths], tmp_path / 'images_root'


def test_spin_pairing_offset_and_protocols(raw, tmp_path):
    (p1, p2), images = _convert(raw, tmp_path)
    assert sorted(p1) == ['S', 'center', 'imgname', 'scale']
    # Protocol 1 loses S11's frame index 10: its image would be video frame 11, which does not exist.
    assert list(p1['imgname']) == [
        'images/S9_Directions_1.54138969_000001.jpg', 'images/S9_Directions_1.54138969_000006.jpg',
        'images/S9_Directions_1.54138969_000011.jpg', 'images/S11_Walking_1.60457274_000001.jpg',
        'images/S11_Walking_1.60457274_000006.jpg']
    # Protocol 2 (frontal camera) is written by SPIN without the videos: all three sampled frames.
    assert list(p2['imgname']) == ['images/S11_Walking_1.60457274_%06d.jpg' % f for f in (1, 6, 11)]
    # The image named for frame index i holds video frame i + 1 (SPIN reads one frame before its loop).
    for name, index in zip(p1['imgname'], (0, 5, 10, 0, 5)):
        assert frame_index(str(images / name)) == index + 1
    assert not (images / 'images' / 'S11_Walking_1.60457274_000011.jpg').exists()
    assert sorted(os.listdir(images / 'images')) == sorted(osp.basename(n) for n in p1['imgname'])


def test_boxes_and_joints(raw, tmp_path):
    (p1, _), _ = _convert(raw, tmp_path)
    x0, y0, x1, y1 = h36m_box(5)
    np.testing.assert_allclose(p1['center'][1], [(x0 + x1) / 2, (y0 + y1) / 2])
    assert p1['scale'][1] == pytest.approx(0.9 * max(x1 - x0, y1 - y0) / 200)
    rows, slots = joint_indices(H36M_REGRESSOR_17, H36M_32), joint_indices(H36M_REGRESSOR_17, SPIN_24)
    raw_joints = h36m_pose(12)[5].reshape(32, 3) / np.float32(1000)
    expected = np.zeros((24, 4))
    expected[slots, :3] = raw_joints[rows] - raw_joints[rows[0]]
    expected[slots, 3] = 1
    np.testing.assert_allclose(p1['S'][1], expected, atol=1e-6)
    # Value worked by hand: raw joint 3 (right ankle) minus raw joint 11 (pelvis) = -8 joints * 3 columns mm.
    np.testing.assert_allclose(p1['S'][1, SPIN_24.index('right_ankle'), :3], [-0.024] * 3, atol=1e-6)
    assert p1['S'].dtype == np.float64 and p1['S'][1, 14, :3].tolist() == [0, 0, 0]
    assert (p1['S'][:, [13, 15, 19, 20, 21, 22, 23], :] == 0).all()


def test_corrected_pairing(raw, tmp_path):
    (p1, p2), images = _convert(raw, tmp_path, corrected=True)
    assert len(p1['imgname']) == 6 and len(p2['imgname']) == 3
    for name, index in zip(p1['imgname'], (0, 5, 10, 0, 5, 10)):
        assert frame_index(str(images / name)) == index


def test_resume_skips_finished_videos(raw, tmp_path, monkeypatch):
    _convert(raw, tmp_path, workers=2)
    image = tmp_path / 'images_root' / 'images' / 'S9_Directions_1.54138969_000006.jpg'
    before = image.stat().st_mtime_ns

    def no_video(*args):
        raise AssertionError('a finished video was decoded again')

    monkeypatch.setattr(video_frames.cv2, 'VideoCapture', no_video)
    (p1, _), _ = _convert(raw, tmp_path)
    assert len(p1['imgname']) == 5 and image.stat().st_mtime_ns == before


def test_interrupted_extraction_leaves_no_partial_jpeg(raw, tmp_path, monkeypatch):
    real = video_frames.cv2.imencode
    calls = []

    def failing(ext, image, params):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(ext, image, params)

    monkeypatch.setattr(video_frames.cv2, 'imencode', failing)
    with pytest.raises(KeyboardInterrupt):
        _convert(raw, tmp_path)
    folder = tmp_path / 'images_root' / 'images'
    assert os.listdir(folder) == ['S9_Directions_1.54138969_000001.jpg']  # no temporary or partial file
    monkeypatch.setattr(video_frames.cv2, 'imencode', real)
    (p1, _), _ = _convert(raw, tmp_path)
    assert all((tmp_path / 'images_root' / n).is_file() for n in p1['imgname'])


def test_train_split_layout_no_offset_and_2d(tmp_path):
    root = tmp_path / 'raw'
    for subject in ('S1', 'S5', 'S6', 'S7', 'S8'):
        write_h36m_sequence(str(root), subject, 'Directions 1.54138969', 7, 7, with_2d=True)
    options = ConvertOptions(images=str(tmp_path / 'h36m_train'), progress=False)
    out = _load(h36m.convert(str(root), str(tmp_path / 'ann'), options, 'train')[0])
    assert sorted(out) == ['S', 'center', 'imgname', 'part', 'scale']
    assert list(out['imgname'][:2]) == ['S1/S1_Directions_1.54138969/S1_Directions_1.54138969_000001.jpg',
                                        'S1/S1_Directions_1.54138969/S1_Directions_1.54138969_000006.jpg']
    assert len(out['imgname']) == 10
    assert frame_index(str(tmp_path / 'h36m_train' / out['imgname'][1])) == 5
    # 2D: pose column 2 * raw joint 3 (right ankle) + axis at frame 5 = 500 + 6 + axis.
    np.testing.assert_allclose(out['part'][1, SPIN_24.index('right_ankle')], [506, 507, 1])


def test_missing_video_named(raw, tmp_path):
    import shutil
    copy = tmp_path / 'raw'
    shutil.copytree(raw, copy)
    os.remove(copy / 'S11' / 'Videos' / 'Walking 1.60457274.mp4')
    with pytest.raises(FileNotFoundError, match='Walking 1.60457274.mp4'):
        _convert(str(copy), tmp_path)


def test_malformed_cdf_is_named(raw, tmp_path):
    import shutil
    copy = tmp_path / 'raw'
    shutil.copytree(raw, copy)
    cdf = copy / 'S9' / 'MyPoseFeatures' / 'D3_Positions_mono' / 'Directions 1.54138969.cdf'
    cdf.write_bytes(b'\0' * 64)
    with pytest.raises(BadFileError, match='Directions 1.54138969.cdf'):
        _convert(str(copy), tmp_path)


def test_progress_bars_per_dataset_and_per_video(raw, tmp_path, capsys):
    options = ConvertOptions(images=str(tmp_path / 'images_root'), progress=True)
    h36m.convert(raw, str(tmp_path / 'ann'), options, 'test')
    err = capsys.readouterr().err
    assert 'Directions 1.54138969.mp4 [' in err and 'Walking 1.60457274.mp4 [' in err
    assert 'Human3.6M test videos [##############################] 2/2' in err


def test_leftover_temporary_file_is_replaced_on_rerun(raw, tmp_path):
    folder = tmp_path / 'images_root' / 'images'
    folder.mkdir(parents=True)
    leftover = folder / '.S9_Directions_1.54138969_000006.jpg.tmp'  # as a killed run leaves it
    leftover.write_bytes(b'half a jpeg')
    _convert(raw, tmp_path)
    assert not leftover.exists()
    assert frame_index(str(folder / 'S9_Directions_1.54138969_000006.jpg')) == 6
