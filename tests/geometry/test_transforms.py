import cv2
import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from mesh_recovery.geometry.transforms import (affine_transform_points, get_affine_transform, rotate_global_orient,
                                               rotate_points_3d)

ANGLES = (-60.0, -30.0, 0.0, 12.5, 45.0, 90.0, 180.0)


def project(points, focal, centre):
    return points[..., :2] / points[..., 2:] * focal + centre


def camera_points(n, seed):
    rng = np.random.default_rng(seed)
    return np.c_[rng.uniform(-1, 1, (n, 2)), rng.uniform(4, 6, n)]


@pytest.mark.parametrize('angle', ANGLES)
def test_rotating_the_image_equals_projecting_rotated_points(angle):
    # Principal point at the image centre; the box is the whole image and the output the same size,
    # so the crop transform is a pure rotation about the principal point.
    points = camera_points(50, seed=0)
    focal, size = 1000.0, 320
    centre = np.array([size / 2, size / 2])
    matrix = get_affine_transform(centre, size / 200.0, angle, (size, size))
    image_rotated = affine_transform_points(project(points, focal, centre), matrix)
    label_rotated = project(rotate_points_3d(points, angle), focal, centre)
    assert np.abs(image_rotated - label_rotated).max() < 1e-3


@pytest.mark.parametrize('angle', ANGLES)
def test_rotated_crop_off_the_image_centre_matches_rotated_points(angle):
    # A zoomed crop centred on the principal point: rotating the crop equals cropping rotated labels.
    points = camera_points(40, seed=1)
    focal, principal = 600.0, np.array([150.0, 110.0])
    rotated_crop = get_affine_transform(principal, 1.5, angle, (224, 224))
    plain_crop = get_affine_transform(principal, 1.5, 0.0, (224, 224))
    image_rotated = affine_transform_points(project(points, focal, principal), rotated_crop)
    label_rotated = affine_transform_points(project(rotate_points_3d(points, angle), focal, principal), plain_crop)
    assert np.abs(image_rotated - label_rotated).max() < 1e-3


def test_positive_angle_turns_content_counter_clockwise_as_displayed():
    matrix = get_affine_transform((50.0, 40.0), 1.0, 90.0, (200, 200))
    # A point right of the box centre ends up above the crop centre (v points down).
    assert np.allclose(affine_transform_points([[60.0, 40.0]], matrix), [[100.0, 100.0 - 10.0]])
    # Same sign and zoom as OpenCV's own helper.
    matrix = get_affine_transform((50.0, 40.0), 0.5, 30.0, (200, 200))
    expected = cv2.getRotationMatrix2D((50.0, 40.0), 30.0, 2.0)
    assert np.allclose(matrix[:, :2], expected[:, :2])
    assert np.allclose(affine_transform_points([50.0, 40.0], matrix), [100.0, 100.0])


def test_rotate_points_3d_by_hand():
    # A point right of the optical axis goes above it (negative y) for a +90 deg image rotation.
    assert np.allclose(rotate_points_3d([1.0, 0.0, 5.0], 90.0), [0.0, -1.0, 5.0])
    points = camera_points(10, seed=2).reshape(2, 5, 3)
    assert np.allclose(rotate_points_3d(points, 0.0), points)
    assert np.allclose(rotate_points_3d(rotate_points_3d(points, 20.0), 25.0), rotate_points_3d(points, 45.0))


def test_warp_affine_moves_pixels_where_the_points_go():
    image = np.zeros((240, 320), np.float32)
    source = np.array([200.0, 70.0])
    image[70, 200] = 1.0
    matrix = get_affine_transform((160.0, 120.0), 1.2, 35.0, (224, 224))
    crop = cv2.warpAffine(image, matrix, (224, 224), flags=cv2.INTER_LINEAR)
    v, u = np.unravel_index(np.argmax(crop), crop.shape)
    assert np.abs(np.array([u, v]) - affine_transform_points(source, matrix)).max() <= 1.0


def test_box_fills_the_output_and_inverse_composes_to_identity():
    matrix = get_affine_transform((320.0, 240.0), 2.0, 0.0, (224, 224))
    corners = affine_transform_points(np.array([[120.0, 40.0], [520.0, 440.0]]), matrix)
    assert np.allclose(corners, [[0, 0], [224, 224]])
    forward = get_affine_transform((320.0, 240.0), 2.0, 21.0, (224, 224))
    inverse = get_affine_transform((320.0, 240.0), 2.0, 21.0, (224, 224), inverse=True)
    assert np.allclose(inverse, cv2.invertAffineTransform(forward))
    points = np.random.default_rng(3).uniform(0, 600, (10, 2))
    assert np.allclose(affine_transform_points(affine_transform_points(points, forward), inverse), points)
    assert np.allclose(affine_transform_points(affine_transform_points(points, inverse), forward), points)


def test_rotated_global_orientation_reprojects_onto_the_rotated_image():
    # A body posed with orientation R at translation t, and the same body posed with the rotated
    # orientation at the rotated translation, project onto the image and the rotated image.
    rng = np.random.default_rng(4)
    orient, body = rng.normal(size=3), rng.normal(size=(30, 3)) * 0.4
    translation = np.array([0.2, -0.1, 5.0])
    focal, size = 1000.0, 320
    centre = np.array([size / 2, size / 2])
    for angle in ANGLES:
        posed = body @ Rotation.from_rotvec(orient).as_matrix().T + translation
        new_orient = rotate_global_orient(orient, angle)
        reposed = body @ Rotation.from_rotvec(new_orient).as_matrix().T + rotate_points_3d(translation, angle)
        assert np.allclose(reposed, rotate_points_3d(posed, angle))
        matrix = get_affine_transform(centre, size / 200.0, angle, (size, size))
        expected = affine_transform_points(project(posed, focal, centre), matrix)
        assert np.abs(project(reposed, focal, centre) - expected).max() < 1e-3
        assert np.linalg.norm(new_orient) <= np.pi + 1e-12


def test_rotate_global_orient_is_batched():
    orients = np.random.default_rng(5).normal(size=(2, 3, 3))
    batched = rotate_global_orient(orients, -17.0)
    assert batched.shape == (2, 3, 3)
    single = [rotate_global_orient(orient, -17.0) for orient in orients.reshape(-1, 3)]
    assert np.allclose(batched.reshape(-1, 3), single)
    # Zero orientation becomes the in-plane rotation itself: -17 deg image turn = +17 deg about z.
    assert np.allclose(rotate_global_orient(np.zeros(3), -17.0), [0.0, 0.0, np.deg2rad(17.0)])


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match='scale must be positive'):
        get_affine_transform((10.0, 10.0), 0.0, 0.0, (224, 224))
    with pytest.raises(ValueError, match='center must be 2 finite'):
        get_affine_transform((10.0, 10.0, 1.0), 1.0, 0.0, (224, 224))
    with pytest.raises(ValueError, match=r'matrix must have shape \(2, 3\)'):
        affine_transform_points(np.zeros((4, 2)), np.eye(3))
    with pytest.raises(ValueError, match=r'points must have shape \(\.\.\., 3\)'):
        rotate_points_3d(np.zeros((4, 2)), 10.0)
