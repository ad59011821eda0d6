"""tools/demo.py on videos and folders of frames: frame count and size, per-frame results, streaming, detector."""
import importlib.util
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
import torchvision

from mesh_recovery.apis.frame_reader import Frame, FrameReader
from mesh_recovery.apis.person_detector import PERSON_LABEL, PersonDetector
from mesh_recovery.apis.video_inference import process_video, whole_frame
from mesh_recovery.apis.video_result_writer import VideoResultWriter, draw_frame_annotations
from mesh_recovery.apis import PersonMesh, init_model, render_overlay
from mesh_recovery.utils.errors import MissingFileError

REPO = Path(__file__).resolve().parents[2]
CONFIG = 'configs/mesh/hmr/hmr_resnet18_synthetic_quickstart.py'
WIDTH, HEIGHT, NUM_FRAMES = 120, 100, 5
FAR_PX = 10
# Person boxes (xywh) per frame of the box file; frame 3 has nobody.
BOXES = {0: [[30, 10, 50, 85]], 1: [[35, 12, 50, 85], [0, 0, 40, 60]], 2: [[40, 14, 48, 80]], 4: [[20, 5, 60, 90]]}


@pytest.fixture(autouse=True)
def seeded():
    torch.manual_seed(0)  # the model's random weights: the same meshes on every run


def load_demo():
    spec = importlib.util.spec_from_file_location('mesh_recovery_demo_video', REPO / 'tools' / 'demo.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def frames():
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, size=(HEIGHT, WIDTH, 3), dtype=np.uint8) for _ in range(NUM_FRAMES)]


@pytest.fixture(scope='module')
def video(frames, tmp_path_factory):
    """A lossless (FFV1) video of the noise frames, so the decoded input is known exactly."""
    path = tmp_path_factory.mktemp('video') / 'clip.mkv'
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'FFV1'), 10, (WIDTH, HEIGHT))
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


@pytest.fixture(scope='module')
def box_file(tmp_path_factory):
    images = [dict(id=100 + i, file_name=f'{i:06d}.jpg') for i in range(NUM_FRAMES)]
    annotations = [dict(id=len(images) + k, image_id=100 + i, bbox=box, category_id=1, iscrowd=0)
                   for k, (i, boxes) in enumerate(BOXES.items()) for box in boxes]
    annotations.append(dict(id=99, image_id=100, bbox=[0, 0, 120, 100], category_id=1, iscrowd=1))
    path = tmp_path_factory.mktemp('boxes') / 'boxes.json'
    path.write_text(json.dumps(dict(images=images, annotations=annotations,
                                    categories=[dict(id=1, name='person')])))
    return path


def read_video(path):
    capture = cv2.VideoCapture(str(path))
    out = []
    while True:
        ok, image = capture.read()
        if not ok:
            break
        out.append(image)
    capture.release()
    return out


def annotation_mask(boxes_xyxy, index):
    """Pixels the box outlines and the frame index may cover (drawn on black and on white)."""
    masks = []
    for value in (0, 255):
        canvas = np.full((HEIGHT, WIDTH, 3), value, np.uint8)
        masks.append(np.any(draw_frame_annotations(canvas.copy(), boxes_xyxy, index) != canvas, axis=2))
    return cv2.dilate((masks[0] | masks[1]).astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)


def projected_pixels(result):
    """Full-image px of each person's saved camera-frame vertices: p = center + f (X, Y) / Z."""
    out = []
    for vertices, center, focal in zip(result['vertices'], result['center'], result['focal_length']):
        out.append(center + focal * vertices[:, :2] / vertices[:, 2:3])
    return np.concatenate(out) if out else np.zeros((0, 2))


def assert_changes_only_under_the_mesh(before, after, result, index, faces):
    """The written frame is the meshes of the saved results, boxes and index drawn over the input frame."""
    people = [PersonMesh(vertices=result['vertices'][i], faces=faces, keypoints_3d=result['keypoints_3d'][i],
                         camera=result['camera'][i], camera_translation=result['camera_translation'][i],
                         pose=result['pose'][i], betas=result['betas'][i], bbox=result['bbox'][i],
                         center=result['center'][i], scale=float(result['scale'][i]),
                         focal_length=float(result['focal_length'][i])) for i in range(len(result['bbox']))]
    expected = draw_frame_annotations(render_overlay(before, people, side_view=False).image, result['bbox'], index)
    np.testing.assert_array_equal(after, expected)
    # And the meshes land where their saved cameras project their vertices: p = center + f (X, Y) / Z.
    drawn = annotation_mask(result['bbox'], index)
    changed = np.any(after != before, axis=2) & ~drawn
    pixels = projected_pixels(result)
    cols, rows = np.rint(pixels).astype(int).T
    inside = (cols >= 0) & (cols < WIDTH) & (rows >= 0) & (rows < HEIGHT)
    hit = np.zeros((HEIGHT, WIDTH), np.uint8)
    hit[rows[inside], cols[inside]] = 1
    if not hit.any():
        assert not changed.any(), f'frame {index}: pixels changed with no mesh in the frame'
        return
    assert hit.sum() > 100, 'the mesh must be visible in the frame for this check to mean anything'
    far = cv2.distanceTransform(1 - hit, cv2.DIST_L2, 5) > FAR_PX
    assert not changed[far].any(), f'frame {index}: pixels far from the projected mesh changed'
    # Most vertex pixels change; not all: a T-posed hand's fingers of an 85 px person are thinner
    # than a pixel and may cover no pixel centre.
    under = hit.astype(bool) & ~drawn
    assert changed[under].mean() > 0.75, f'frame {index}: pixels under the projected mesh kept their colour'


def test_video_with_a_box_file(video, frames, box_file, tmp_path, capsys):
    out_video = tmp_path / 'overlay.mkv'  # lossless, so unchanged pixels stay equal
    paths = load_demo().main([CONFIG, str(video), '--bboxes', str(box_file), '--out-dir', str(tmp_path),
                              '--out-video', str(out_video), '--save-vertices', '--no-progress'])
    assert 'frames per second' in capsys.readouterr().out
    written = read_video(out_video)
    assert len(written) == NUM_FRAMES and all(f.shape == (HEIGHT, WIDTH, 3) for f in written)
    assert paths['frames'] == NUM_FRAMES
    faces = np.load(Path(paths['results_dir']) / 'faces.npy')
    for index, (before, after) in enumerate(zip(frames, written)):
        with np.load(Path(paths['results_dir']) / f'{index:06d}.npz') as result:
            result = dict(result)
        boxes = np.asarray(BOXES.get(index, []), np.float64).reshape(-1, 4)
        assert int(result['frame_index']) == index and str(result['frame_name']) == f'{index:06d}.jpg'
        np.testing.assert_allclose(result['bbox'], np.concatenate([boxes[:, :2], boxes[:, :2] + boxes[:, 2:]], 1))
        assert result['pose'].shape == (len(boxes), 24, 3, 3) and result['betas'].shape == (len(boxes), 10)
        assert result['camera'].shape == (len(boxes), 3)
        if len(boxes):
            assert result['vertices'].shape[1:] == (faces.max() + 1, 3)
            np.testing.assert_allclose(np.linalg.det(result['pose'].astype(np.float64)), 1.0, atol=1e-4)
        else:
            assert result['vertices'].shape == (0, faces.max() + 1, 3)
        assert_changes_only_under_the_mesh(before, after, result, index, faces)


def test_folder_of_frames_with_the_whole_frame(frames, tmp_path):
    folder = tmp_path / 'frames'
    folder.mkdir()
    for index, frame in enumerate(frames):
        cv2.imwrite(str(folder / f'img_{index:03d}.png'), frame)
    out_video = tmp_path / 'out' / 'frames.mkv'
    paths = load_demo().main([CONFIG, str(folder), '--out-dir', str(tmp_path / 'out'), '--out-video',
                              str(out_video), '--no-progress', '--save-vertices'])
    written = read_video(out_video)
    assert len(written) == NUM_FRAMES and written[0].shape == (HEIGHT, WIDTH, 3)
    faces = np.load(Path(paths['results_dir']) / 'faces.npy')
    for index, (before, after) in enumerate(zip(frames, written)):
        with np.load(Path(paths['results_dir']) / f'{index:06d}.npz') as result:
            result = dict(result)
        assert str(result['frame_name']) == f'img_{index:03d}.png'
        np.testing.assert_allclose(result['bbox'], [[0, 0, WIDTH, HEIGHT]])
        np.testing.assert_allclose(result['scale'], [max(WIDTH, HEIGHT) / 200.0], rtol=1e-6)
        assert_changes_only_under_the_mesh(before, after, result, index, faces)


def test_frames_are_streamed_one_at_a_time(frames, tmp_path):
    """Frame i is read only after frame i - 1 was written: nothing accumulates."""
    writer = VideoResultWriter(str(tmp_path / 'o.mkv'), str(tmp_path / 'r'), fps=10)

    class Reader:
        num_frames = 3

        def __iter__(self):
            for index, frame in enumerate(frames[:3]):
                assert writer.frames_written == index
                yield Frame(index, f'{index}.png', frame)

    model = init_model(REPO / CONFIG)
    with writer:
        summary = process_video(model, Reader(), writer, whole_frame, progress=False)
    assert summary.frames == writer.frames_written == 3 and summary.people == 3


def random_detector_file(path, arch=torchvision.models.detection.fasterrcnn_resnet50_fpn):
    """Random weights whose classifier calls every proposal a person (so there are boxes to check)."""
    torch.manual_seed(0)
    net = arch(weights=None, weights_backbone=None, num_classes=91)
    with torch.no_grad():
        net.roi_heads.box_predictor.cls_score.bias[PERSON_LABEL] = 8.0
    torch.save(net.state_dict(), path)
    return net


def test_person_detector_reads_a_local_file_and_keeps_people(frames, tmp_path):
    weights = tmp_path / 'detector.pth'
    net = random_detector_file(weights)
    detector = PersonDetector(str(weights), score_threshold=0.3, max_people=3, min_size=128)
    found = detector(frames[0])
    net.transform.min_size = (128, )
    with torch.no_grad():
        raw = net.eval()([torch.from_numpy(frames[0][:, :, ::-1].copy()).permute(2, 0, 1).float() / 255])[0]
    keep = (raw['labels'] == PERSON_LABEL) & (raw['scores'] >= 0.3)
    order = torch.argsort(raw['scores'][keep], descending=True)[:3]
    assert 0 < len(found['bboxes']) <= 3
    np.testing.assert_allclose(found['bboxes'], raw['boxes'][keep][order].double().numpy(), atol=1e-4)
    np.testing.assert_allclose(found['scores'], raw['scores'][keep][order].double().numpy(), atol=1e-6)
    assert np.all(np.diff(found['scores']) <= 0)
    assert np.all(found['bboxes'] >= -1e-3) and np.all(found['bboxes'][:, [0, 2]] <= WIDTH + 1e-3)


def test_frames_with_the_detector(frames, tmp_path):
    folder = tmp_path / 'two_frames'
    folder.mkdir()
    for index, frame in enumerate(frames[:2]):
        cv2.imwrite(str(folder / f'{index}.png'), frame)
    weights = tmp_path / 'detector.pth'
    random_detector_file(weights, torchvision.models.detection.fasterrcnn_mobilenet_v3_large_320_fpn)
    paths = load_demo().main([CONFIG, str(folder), '--detector-weights', str(weights), '--det-min-size', '128',
                              '--detector-arch', 'fasterrcnn_mobilenet_v3_large_320_fpn',
                              '--max-people', '2', '--out-dir', str(tmp_path), '--no-progress'])
    assert paths['video'].endswith('two_frames_overlay.mp4') and len(read_video(paths['video'])) == 2
    with np.load(Path(paths['results_dir']) / '000000.npz') as result:
        assert 1 <= len(result['bbox']) <= 2 and np.all(result['score'] >= 0.5)


def test_missing_detector_weights_are_named(tmp_path):
    with pytest.raises(MissingFileError, match='nothere.pth'):
        PersonDetector(str(tmp_path / 'nothere.pth'))


def test_reader_errors_name_the_input(tmp_path):
    with pytest.raises(MissingFileError, match='none.mp4'):
        FrameReader(str(tmp_path / 'none.mp4'))
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(ValueError, match='has no images'):
        FrameReader(str(empty))
