"""The overlay draws each mesh exactly where its crop camera put it; tools/demo.py end to end."""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from mesh_recovery.apis import inference_model, init_model, load_obj, render_overlay
from mesh_recovery.geometry.camera import project_to_crop
from mesh_recovery.geometry.rotation import rot6d_to_matrix
from mesh_recovery.geometry.transforms import affine_transform_points, get_affine_transform

REPO = Path(__file__).resolve().parents[2]
CONFIG = 'configs/mesh/hmr/hmr_resnet18_synthetic_quickstart.py'
FREE_BODY = REPO / 'models/free_body'
H36M = REPO / '..' / 'shared' / 'fixtures' / 'mmpose_v0.29' / 'h36m'
IMG_RES, FOCAL = 128, 5000.0
FAR_PX = 10


def load_demo():
    spec = importlib.util.spec_from_file_location('mesh_recovery_demo_tool', REPO / 'tools' / 'demo.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def model():
    torch.manual_seed(0)
    return init_model(REPO / CONFIG, cfg_options={
        'model.smpl.smpl_path': str(FREE_BODY / 'body_model.npz'),
        'model.smpl.joints_regressor': str(FREE_BODY / 'joints_regressor_spin24.npy'),
        'model.mesh_head.smpl_mean_params': str(FREE_BODY / 'mean_params.npz')})


@pytest.fixture
def controlled(model, monkeypatch):
    """Make the model predict the mean body with the cameras given per person."""
    head = model.mesh_head
    rotmat = rot6d_to_matrix(head.init_pose.reshape(1, 24, 6))
    with torch.no_grad():
        body = model.smpl(betas=head.init_shape, pose=rotmat)
    fixed = dict(keypoints_3d=body.joints[0].numpy(), smpl_pose=rotmat[0].numpy(),
                 smpl_beta=head.init_shape[0].numpy(), vertices=body.vertices[0].numpy(),
                 faces=model.smpl.faces.numpy())

    def use(cameras):
        def predict(inputs, data_samples=None):
            return [dict(fixed, camera=np.asarray(cameras[i], np.float32), center=data_samples['center'][i].numpy(),
                         scale=data_samples['scale'][i].numpy()) for i in range(inputs.shape[0])]
        monkeypatch.setattr(model, 'predict', predict)
        return model
    return use


def image_pixels(body_vertices, camera, center, scale):
    """Full-image px of body-frame vertices, via the crop camera and the inverse crop warp."""
    normalised = project_to_crop(torch.as_tensor(body_vertices, dtype=torch.float64)[None],
                                 torch.as_tensor(camera, dtype=torch.float64)[None], FOCAL, IMG_RES)[0]
    crop_px = (normalised.numpy() + 1.0) * IMG_RES / 2.0
    return affine_transform_points(crop_px, get_affine_transform(center, scale, 0.0, (IMG_RES, IMG_RES),
                                                                 inverse=True))


def assert_overlay_follows_vertices(before, after, pixels, min_under=0.85):
    """Pixels under projected vertices change; pixels > FAR_PX from all of them do not.

    A vertex on the silhouette may round to a pixel whose centre the mesh just
    misses, so every vertex must be within 1.5 px of a changed pixel and at
    least ``min_under`` of the vertex pixels must have changed themselves.
    """
    height, width = before.shape[:2]
    changed = np.any(after != before, axis=2)
    cols, rows = np.rint(pixels).astype(int).T
    inside = (cols >= 0) & (cols < width) & (rows >= 0) & (rows < height)
    cols, rows = cols[inside], rows[inside]
    hit = np.zeros((height, width), np.uint8)
    hit[rows, cols] = 1
    assert hit.sum() > 500, 'the mesh must be visible in the image for this check to mean anything'
    from_vertices = cv2.distanceTransform(1 - hit, cv2.DIST_L2, 5)
    assert not changed[from_vertices > FAR_PX].any(), 'pixels far from the projected mesh changed'
    to_changed = cv2.distanceTransform(1 - changed.astype(np.uint8), cv2.DIST_L2, 5)
    assert to_changed[rows, cols].max() <= 1.5, 'a projected vertex lies outside the drawn mesh'
    assert changed[hit.astype(bool)].mean() >= min_under, 'pixels under the projected mesh kept their colour'
    return changed


def test_overlay_changes_exactly_the_pixels_of_the_projected_mesh(controlled, model):
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, size=(200, 260, 3), dtype=np.uint8)
    camera = [0.9, 0.05, 0.12]
    (person, ) = inference_model(controlled([camera]), image, np.array([[70, 20, 120, 160]]))
    overlay = render_overlay(image, [person])
    pixels = image_pixels(person.vertices - person.camera_translation, camera, person.center, person.scale)
    changed = assert_overlay_follows_vertices(image, overlay.image, pixels)
    # On a noise background every covered pixel changes: the drawn region is the person mask.
    np.testing.assert_array_equal(changed, overlay.person_index == 0)
    rows, cols = np.nonzero(changed)
    np.testing.assert_allclose([cols.min(), cols.max(), rows.min(), rows.max()],
                               [*np.percentile(pixels[:, 0], [0, 100]), *np.percentile(pixels[:, 1], [0, 100])],
                               atol=1.5)
    # Side view: a thinner silhouette (the body turned 90 degrees) on the untouched plain panel.
    side = overlay.side_person_index == 0
    assert side.sum() > 0.2 * changed.sum()
    assert np.ptp(np.nonzero(side)[1]) < 0.6 * np.ptp(cols)
    assert np.all(overlay.side_view[~side] == 255)
    assert overlay.panels().shape == (200, 520, 3)


def test_overlapping_people_are_drawn_nearest_first(controlled):
    image = np.full((220, 240, 3), 40, np.uint8)
    near, far = [1.0, 0.0, 0.0], [0.55, 0.35, 0.1]  # far: smaller on screen, shifted right
    boxes = np.array([[40, 20, 160, 180]] * 2)
    (p_near, p_far) = inference_model(controlled([near, far]), image, boxes)
    alone_near, alone_far = render_overlay(image, [p_near]), render_overlay(image, [p_far])
    mask_near, mask_far = alone_near.person_index == 0, alone_far.person_index == 0
    overlap, far_only = mask_near & mask_far, mask_far & ~mask_near
    assert overlap.sum() > 100 and far_only.sum() > 100
    for order in ([p_near, p_far], [p_far, p_near]):
        both = render_overlay(image, order)
        near_index = 0 if order[0] is p_near else 1
        assert np.all(both.person_index[overlap] == near_index)
        assert np.all(both.person_index[far_only] == 1 - near_index)
        np.testing.assert_array_equal(both.person_index >= 0, mask_near | mask_far)
    both = render_overlay(image, [p_near, p_far])
    np.testing.assert_array_equal(both.image[mask_near], alone_near.image[mask_near])


def read_outputs(paths):
    record = json.loads(Path(paths['json']).read_text())
    meshes = [load_obj(p) for p in paths['objs']]
    return record, meshes


def check_demo_outputs(image_path, paths, record, meshes, num_faces, y_up=False):
    image = cv2.imread(str(image_path))
    height, width = image.shape[:2]
    panels = cv2.imread(paths['overlay'])
    assert panels.shape == (height, 2 * width, 3)
    assert record['image_size'] == [width, height] and len(record['people']) == len(meshes)
    changed = np.zeros((height, width), bool)
    for person, (vertices, faces) in zip(record['people'], meshes):
        assert faces.shape == (num_faces, 3) and vertices.shape[1] == 3
        assert faces.min() == 0 and faces.max() == len(vertices) - 1
        if y_up:  # written rotated 180 degrees about x
            assert np.all(vertices[:, 2] < 0)
            vertices = vertices * [1.0, -1.0, -1.0]
        body = vertices - np.asarray(person['camera_translation'])
        pixels = image_pixels(body, person['camera'], person['center'], person['scale'])
        changed |= assert_overlay_follows_vertices(image, panels[:, :width], pixels)
    assert np.any(panels[:, width:] != 255)


@pytest.mark.skipif(not H36M.is_dir(), reason=f'real fixtures not found at {H36M}')
def test_demo_on_a_human36m_image_with_its_coco_boxes(model, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(REPO)
    image_path = H36M / 'S5_SittingDown.54138969_002061.jpg'
    paths = load_demo().main([CONFIG, str(image_path), '--bboxes', str(H36M / 'h36m_coco.json'),
                              '--bbox-padding', '1.0', '--out-dir', str(tmp_path)])
    record, meshes = read_outputs(paths)
    assert len(meshes) == 1
    # The fixture's COCO box is the annotation's crop (npz scale * 200 = 290.85 px).
    np.testing.assert_allclose(record['people'][0]['center'], [477.5005, 619.4027], atol=1e-3)
    assert record['people'][0]['scale'] * 200 == pytest.approx(290.8452, abs=1e-3)
    assert len(meshes[0][0]) == model.smpl.faces.max().item() + 1
    check_demo_outputs(image_path, paths, record, meshes, num_faces=model.smpl.faces.shape[0])
    assert 'random weights' in capsys.readouterr().err


def test_demo_command_on_a_synthetic_image(model, tmp_path):
    from mesh_recovery.synthetic.dataset_writer import SyntheticDatasetWriter
    writer = SyntheticDatasetWriter(str(FREE_BODY / 'body_model.npz'),
                                    str(FREE_BODY / 'joints_regressor_spin24.npy'), str(tmp_path), num_workers=1)
    image_path = tmp_path / 'synthetic.png'
    cv2.imwrite(str(image_path), writer.render_sample('test', 0).image)
    out_dir = tmp_path / 'out'
    result = subprocess.run([sys.executable, 'tools/demo.py', CONFIG, str(image_path), '--out-dir', str(out_dir),
                             '--obj-y-up'], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    paths = dict(overlay=str(out_dir / 'synthetic_overlay.png'), objs=[str(out_dir / 'synthetic_person0.obj')],
                 json=str(out_dir / 'synthetic_people.json'))
    record, meshes = read_outputs(paths)
    height, width = cv2.imread(str(image_path)).shape[:2]
    np.testing.assert_allclose(record['people'][0]['bbox_xyxy'], [0, 0, width, height])
    check_demo_outputs(image_path, paths, record, meshes, num_faces=model.smpl.faces.shape[0], y_up=True)


def test_box_files(tmp_path):
    demo = load_demo()
    coco = dict(images=[dict(id=1, file_name='a/b.jpg'), dict(id=2, file_name='c.jpg')],
                categories=[dict(id=1, name='person'), dict(id=2, name='dog')],
                annotations=[dict(image_id=1, bbox=[1, 2, 3, 4], category_id=1),
                             dict(image_id=1, bbox=[5, 6, 7, 8], category_id=1, iscrowd=1),
                             dict(image_id=1, bbox=[9, 9, 9, 9], category_id=2),
                             dict(image_id=2, bbox=[0, 0, 5, 5], category_id=1)])
    path = tmp_path / 'boxes.json'
    path.write_text(json.dumps(coco))
    boxes, fmt = demo.load_boxes(str(path), '/data/a/b.jpg', 'xyxy')
    np.testing.assert_array_equal(boxes, [[1, 2, 3, 4]])
    assert fmt == 'xywh'
    with pytest.raises(ValueError, match=r"no image entry with the file name of x/zz.jpg.*'a/b.jpg'"):
        demo.load_boxes(str(path), 'x/zz.jpg', 'xywh')
    path.write_text(json.dumps([[1, 2, 30, 40], {'bbox': [5, 6, 70, 80, 0.9]}]))
    boxes, fmt = demo.load_boxes(str(path), 'any.jpg', 'xyxy')
    np.testing.assert_array_equal(boxes, [[1, 2, 30, 40], [5, 6, 70, 80]])
    assert fmt == 'xyxy'
    path.write_text(json.dumps([[1, 2, 30, 40], [1, 2]]))
    with pytest.raises(ValueError, match=r'entry 1 is \[1, 2\]'):
        demo.load_boxes(str(path), 'any.jpg', 'xywh')
    path.write_text(json.dumps({'boxes': [[1, 2, 3, 4]]}))
    with pytest.raises(ValueError, match='COCO-style dict'):
        demo.load_boxes(str(path), 'any.jpg', 'xywh')
