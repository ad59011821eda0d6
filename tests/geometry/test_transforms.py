import cv2
import numpy as np
import torch

from mesh_recovery.geometry import (affine_transform_points, axis_angle_to_matrix, get_affine_transform,
                                    rotate_global_orient, rotate_points_3d)


def project(points, focal, centre):
    return points[:, :2] / points[:, 2:] * focal + centre


def test_image_rotation_matches_3d_rotation():
    rng = np.random.default_rng(0)
    points = np.c_[rng.uniform(-1, 1, (40, 2)), rng.uniform(4, 6, 40)]
    focal, centre = 600.0, np.array([150.0, 110.0])
    for angle in (0.0, 12.5, -37.0, 90.0):
        crop = get_affine_transform(centre, 1.5, angle, (300, 300))
        image_rotated = affine_transform_points(project(points, focal, centre), crop)
        unrotated = get_affine_transform(centre, 1.5, 0.0, (300, 300))
        label_rotated = affine_transform_points(project(rotate_points_3d(points, angle), focal, centre), unrotated)
        assert np.abs(image_rotated - label_rotated).max() < 1e-3


def test_rotation_sign_matches_opencv():
    matrix = get_affine_transform((50, 40), 1.0, 30.0, (200, 200))
    expected = cv2.getRotationMatrix2D((50.0, 40.0), 30.0, 1.0)
    assert np.allclose(matrix[:, :2], expected[:, :2])
    assert np.allclose(affine_transform_points(np.array([50.0, 40.0]), matrix), [100.0, 100.0])


def test_box_maps_to_output_and_inverse_composes_to_identity():
    matrix = get_affine_transform((320.0, 240.0), 2.0, 0.0, (224, 224))
    corners = affine_transform_points(np.array([[120.0, 40.0], [520.0, 440.0]]), matrix)
    assert np.allclose(corners, [[0, 0], [224, 224]])
    inverse = get_affine_transform((320.0, 240.0), 2.0, 21.0, (224, 224), inverse=True)
    forward = get_affine_transform((320.0, 240.0), 2.0, 21.0, (224, 224))
    points = np.random.default_rng(1).uniform(0, 600, (10, 2))
    assert np.allclose(affine_transform_points(affine_transform_points(points, forward), inverse), points)


def test_global_orientation_rotates_like_the_points():
    rng = np.random.default_rng(2)
    orient = rng.normal(size=3)
    body_points = rng.normal(size=(20, 3))
    posed = body_points @ axis_angle_to_matrix(torch.from_numpy(orient)).numpy().T
    angle = 33.0
    rotated_orient = rotate_global_orient(orient, angle)
    reposed = body_points @ axis_angle_to_matrix(torch.from_numpy(rotated_orient)).numpy().T
    assert np.allclose(reposed, rotate_points_3d(posed, angle))
