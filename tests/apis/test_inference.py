"""init_model / inference_model: crops, predictions, the full-image camera, checkpoints, OBJ files."""
import copy
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from mesh_recovery.apis import boxes_to_center_scale, inference_model, init_model, load_obj, save_obj
from mesh_recovery.datasets.transforms import MeshAffine
from mesh_recovery.engine import CheckpointMismatchError
from mesh_recovery.geometry.camera import project_to_crop
from mesh_recovery.geometry.transforms import affine_transform_points, get_affine_transform

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / 'configs/mesh/hmr/hmr_resnet18_synthetic_quickstart.py'
FREE_BODY = REPO / 'models/free_body'
# The quickstart config names its body-model files relative to the repository root.
ABSOLUTE_ASSETS = {
    'model.smpl.smpl_path': str(FREE_BODY / 'body_model.npz'),
    'model.smpl.joints_regressor': str(FREE_BODY / 'joints_regressor_spin24.npy'),
    'model.mesh_head.smpl_mean_params': str(FREE_BODY / 'mean_params.npz'),
}
# bfloat16 convolutions round differently with the batch's make-up; the equalities checked
# here (inference vs the model on the same crops) need the float32 backbone.
FLOAT32 = {'model.backbone.autocast_dtype': None}
IMG_RES = 128


def build(checkpoint=None, **options):
    torch.manual_seed(0)
    return init_model(CONFIG, checkpoint, cfg_options={**ABSOLUTE_ASSETS, **FLOAT32, **options})


@pytest.fixture(scope='module')
def model():
    return build()


@pytest.fixture(scope='module')
def image():
    """A structured 180x240 BGR image, so that different crops give different predictions."""
    rng = np.random.default_rng(0)
    small = rng.integers(0, 256, size=(9, 12, 3), dtype=np.uint8)
    return cv2.resize(small, (240, 180), interpolation=cv2.INTER_LINEAR)


def manual_predictions(model, img, centers, scales):
    """The model on crops made here, bypassing the inference API's loading and packing.

    The crops come from ``MeshAffine`` itself: its 4-channel warp differs from one
    ``cv2.warpAffine`` by a grey level on some pixels (tests/datasets/test_affine_warp.py
    holds it to that), which moves a random-weight model's pose by ~1e-5.
    """
    crops = [MeshAffine(IMG_RES)(dict(img=img, center=np.asarray(c, np.float32), scale=np.float32(s),
                                      rotation=np.float32(0.0)))['img'] for c, s in zip(centers, scales)]
    inputs = torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).contiguous()
    return model.test_step(dict(inputs=inputs, data_samples=None))


def test_boxes_to_center_scale_follows_spin():
    centers, scales, xyxy = boxes_to_center_scale(np.array([[10, 20, 100, 50], [0, 0, 30, 60]]))
    np.testing.assert_allclose(centers, [[60, 45], [15, 30]])
    np.testing.assert_allclose(scales, [100 * 1.2 / 200, 60 * 1.2 / 200])
    np.testing.assert_allclose(xyxy, [[10, 20, 110, 70], [0, 0, 30, 60]])
    c2, s2, b2 = boxes_to_center_scale(np.array([[10, 20, 110, 70, 0.9]]), 'xyxy', padding=1.0)
    np.testing.assert_allclose(c2, [[60, 45]])
    np.testing.assert_allclose(s2, [0.5])
    np.testing.assert_allclose(b2, [[10, 20, 110, 70]])
    assert boxes_to_center_scale(np.zeros((0, 4)))[1].shape == (0, )


@pytest.mark.parametrize('boxes, fmt, padding, message', [
    ([[10, 20, 0, 50]], 'xywh', 1.2, 'no area'),
    ([[10, 20, 5, 50]], 'xyxy', 1.2, 'no area'),
    ([[1, 2, 3]], 'xywh', 1.2, r'shape \(N, 4\)'),
    ([[1, 2, np.nan, 4]], 'xywh', 1.2, 'NaN'),
    ([[1, 2, 3, 4]], 'cxcywh', 1.2, 'bbox_format'),
    ([[1, 2, 3, 4]], 'xywh', 0.0, 'padding'),
])
def test_boxes_to_center_scale_rejects_bad_boxes(boxes, fmt, padding, message):
    with pytest.raises(ValueError, match=message):
        boxes_to_center_scale(np.array(boxes, dtype=float), fmt, padding)


def test_init_model_builds_for_inference(model):
    assert not model.training and model.return_vertices
    assert model.cfg.model.type == 'ParametricMesh' and model.img_res == IMG_RES
    assert next(model.parameters()).device.type == 'cpu'


def test_init_model_names_missing_body_model_files(tmp_path):
    missing = tmp_path / 'nowhere' / 'body_model.npz'
    with pytest.raises(FileNotFoundError, match=str(missing)):
        build(**{'model.smpl.smpl_path': str(missing)})


def test_inference_equals_the_model_on_its_crops(model, image):
    boxes = np.array([[20, 10, 90, 150], [130, 40, 60, 80]], dtype=float)
    people = inference_model(model, image, boxes)
    centers, scales, _ = boxes_to_center_scale(boxes)
    expected = manual_predictions(model, image, centers, scales)
    assert len(people) == 2
    for person, pred, center, scale, box in zip(people, expected, centers, scales, boxes):
        translation = np.array([pred['camera'][1], pred['camera'][2],
                                2 * 5000.0 / (IMG_RES * pred['camera'][0] + 1e-9)])
        np.testing.assert_allclose(person.camera, pred['camera'], atol=1e-5)
        np.testing.assert_allclose(person.camera_translation, translation, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(person.pose, pred['smpl_pose'], atol=1e-5)
        np.testing.assert_allclose(person.betas, pred['smpl_beta'], atol=1e-5)
        np.testing.assert_allclose(person.vertices, pred['vertices'] + translation, atol=1e-3)
        np.testing.assert_allclose(person.keypoints_3d, pred['keypoints_3d'] + translation, atol=1e-3)
        np.testing.assert_array_equal(person.faces, pred['faces'])
        np.testing.assert_allclose(person.center, center, atol=1e-4)
        assert person.scale == pytest.approx(scale, rel=1e-6)
        np.testing.assert_allclose(person.bbox, [box[0], box[1], box[0] + box[2], box[1] + box[3]])
        assert person.focal_length == pytest.approx(5000.0 * scale * 200 / IMG_RES, rel=1e-6)
    # Different crops, different people (order follows the boxes).
    assert np.abs(people[0].camera - people[1].camera).max() > 1e-6


def test_image_camera_puts_the_mesh_where_the_crop_camera_did(model, image):
    (person, ) = inference_model(model, image, np.array([[60, 30, 80, 120]]), bbox_padding=1.3)
    pixels, _ = person.image_camera().project(person.vertices)
    # Independently: project into the crop with the weak-perspective camera, then undo the crop warp.
    body = torch.from_numpy(person.vertices - person.camera_translation)[None].double()
    normalised = project_to_crop(body, torch.from_numpy(person.camera)[None].double(), 5000.0, IMG_RES)[0]
    crop_px = (normalised.numpy() + 1.0) * IMG_RES / 2.0
    to_image = get_affine_transform(person.center, person.scale, 0.0, (IMG_RES, IMG_RES), inverse=True)
    np.testing.assert_allclose(pixels, affine_transform_points(crop_px, to_image), atol=0.02)
    # The body lands inside the crop box (the head starts from the mean camera).
    half = person.scale * 100
    inside = np.all(np.abs(pixels - person.center) < half, axis=1).mean()
    assert inside > 0.9


def test_path_and_array_inputs_agree(model, image, tmp_path):
    path = tmp_path / 'person.png'
    cv2.imwrite(str(path), image)
    boxes = np.array([[30, 20, 100, 140]])
    from_path = inference_model(model, str(path), boxes)[0]
    from_array = inference_model(model, image, boxes)[0]
    for a, b in zip(from_path, from_array):
        np.testing.assert_array_equal(a, b)


def test_without_boxes_the_whole_image_is_the_crop(model, image):
    (person, ) = inference_model(model, image)
    np.testing.assert_allclose(person.bbox, [0, 0, 240, 180])
    np.testing.assert_allclose(person.center, [120, 90])
    assert person.scale == pytest.approx(240 / 200)
    assert inference_model(model, image, np.zeros((0, 4))) == []


def test_inference_rejects_bad_images_and_pipelines(model, image, tmp_path):
    with pytest.raises(ValueError, match=r'\(H, W, 3\) uint8'):
        inference_model(model, image[..., 0])
    with pytest.raises(FileNotFoundError, match='missing.jpg'):
        inference_model(model, str(tmp_path / 'missing.jpg'))
    original = model.cfg
    model.cfg = copy.deepcopy(original)
    model.cfg.test_dataloader.dataset.pipeline[1]['img_res'] = 64
    try:
        with pytest.raises(ValueError, match='img_res=128'):
            inference_model(model, image)
    finally:
        model.cfg = original


def _mmpose_state_dict(model):
    """mmpose 0.x layout: generator.0./.1. aliases, SMPL buffers, a joints regressor, module. prefix."""
    state = model.state_dict()
    aliased = {}
    for key, value in state.items():
        aliased[f'module.{key}'] = value
        for prefix, alias in (('backbone.', 'generator.0.'), ('mesh_head.', 'generator.1.')):
            if key.startswith(prefix):
                aliased[f'module.{alias}{key[len(prefix):]}'] = value
    aliased['module.smpl.v_template'] = torch.zeros(6890, 3)
    aliased['module.joints_regressor'] = torch.zeros(24, 6890)
    return aliased


def test_checkpoints_ours_and_mmpose_are_loaded(model, image, tmp_path):
    trained = copy.deepcopy(model)
    with torch.no_grad():
        trained.mesh_head.deccam.bias.add_(torch.tensor([0.3, 0.05, -0.02]))
        trained.backbone.conv1.weight.mul_(1.5)
    ours, mmpose = tmp_path / 'ours.pth', tmp_path / 'mmpose.pth'
    torch.save({'meta': {'epoch': 3}, 'state_dict': trained.state_dict()}, ours)
    torch.save({'meta': {}, 'state_dict': _mmpose_state_dict(trained)}, mmpose)
    boxes = np.array([[40, 20, 100, 140]])
    expected = inference_model(trained, image, boxes)[0]
    before = inference_model(model, image, boxes)[0]
    assert abs(expected.camera[0] - before.camera[0]) > 0.2
    for path in (ours, mmpose):
        loaded = build(str(path))
        for key, value in trained.state_dict().items():
            assert torch.equal(loaded.state_dict()[key], value), key
        np.testing.assert_allclose(inference_model(loaded, image, boxes)[0].camera, expected.camera, atol=1e-6)


def test_checkpoint_that_does_not_fit_is_refused(model, tmp_path):
    state = {k: v for k, v in model.state_dict().items() if not k.startswith('mesh_head.fc1')}
    path = tmp_path / 'partial.pth'
    torch.save({'state_dict': state}, path)
    with pytest.raises(CheckpointMismatchError, match='mesh_head.fc1.weight'):
        build(str(path))


def test_obj_round_trip_is_one_based(tmp_path):
    rng = np.random.default_rng(1)
    vertices = rng.normal(size=(7, 3))
    faces = np.array([[0, 1, 2], [2, 3, 4], [4, 5, 6], [6, 0, 3]])
    path = save_obj(str(tmp_path / 'sub' / 'mesh.obj'), vertices, faces)
    lines = Path(path).read_text().splitlines()
    assert [ln for ln in lines if ln.startswith('f ')][0] == 'f 1 2 3'
    assert sum(ln.startswith('v ') for ln in lines) == 7
    loaded_v, loaded_f = load_obj(path)
    np.testing.assert_allclose(loaded_v, vertices, atol=1e-6)
    np.testing.assert_array_equal(loaded_f, faces)


def test_obj_reader_handles_slashes_and_relative_indices_and_names_bad_lines(tmp_path):
    path = tmp_path / 'a.obj'
    path.write_text('o thing\nv 0 0 0\nv 1 0 0\nvt 0 0\nv 0 1 0\nf 1/1/1 2/1/1 3/1/1\nf -3 -2 -1\n')
    vertices, faces = load_obj(str(path))
    assert vertices.shape == (3, 3)
    np.testing.assert_array_equal(faces, [[0, 1, 2], [0, 1, 2]])
    path.write_text('v 0 0 0\nv 1 0 0\nv 0 1 0\nv 1 1 0\nf 1 2 3 4\n')
    with pytest.raises(ValueError, match=r'a.obj:5: .*only triangles'):
        load_obj(str(path))
    path.write_text('v 0 0 0\nf 1 2 3\n')
    with pytest.raises(ValueError, match=r'face indices must lie in \[0, 1\)'):
        load_obj(str(path))
    with pytest.raises(ValueError, match=r'\(F, 3\)'):
        save_obj(str(tmp_path / 'b.obj'), np.zeros((3, 3)), np.array([[0.0, 1.0, 2.0]]))


def test_inference_packs_no_invented_ground_truth(model, image, monkeypatch):
    """The crops fed to the model carry the box and the camera only, never zero-filled annotations."""
    import mesh_recovery.apis.inference as inference
    packed = []
    original = inference._predict

    def spy(model_, samples, batch_size):
        packed.extend(samples)
        return original(model_, samples, batch_size)

    monkeypatch.setattr(inference, '_predict', spy)
    inference_model(model, image, np.array([[10.0, 20.0, 80.0, 120.0]]))
    assert packed and set(packed[0]['data_samples']) == {'center', 'scale', 'sample_idx', 'ori_shape',
                                                         'focal_length'}
