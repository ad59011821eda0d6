"""MeshAffine's warp: the same crop as one cv2.warpAffine of the whole source image."""
import cv2
import numpy as np
import pytest

from mesh_recovery.datasets.transforms import MeshAffine
from mesh_recovery.datasets.transforms.mesh_affine import source_window
from mesh_recovery.geometry.transforms import get_affine_transform


def _sample(img, center, scale, rotation):
    return dict(img=img, center=np.array(center, np.float32), scale=np.float32(scale), rotation=np.float32(rotation),
                keypoints_2d=np.zeros((24, 3), np.float32))


def _direct(img, center, scale, rotation, res=224):
    matrix = get_affine_transform(np.array(center, np.float32), float(np.float32(scale)), float(np.float32(rotation)),
                                  (res, res))
    return cv2.warpAffine(img, matrix, (res, res), flags=cv2.INTER_LINEAR)


# (center, scale, rotation): inside the image, rotated, across the border, entirely
# outside (all black), and a box so large that the 4-channel detour is skipped.
BOXES = [((450, 350), 2.0, 0.0), ((300, 420), 1.3, 37.0), ((20, 650), 2.4, -50.0), ((-900, -900), 1.0, 10.0),
         ((450, 350), 40.0, 5.0)]


@pytest.mark.parametrize('center, scale, rotation', BOXES)
def test_crop_equals_one_warp_of_the_whole_image(center, scale, rotation):
    # Noise is the worst case for interpolation differences: neighbours differ by up to 255.
    img = np.random.default_rng(0).integers(0, 256, (700, 900, 3), dtype=np.uint8)
    crop = MeshAffine(224)(_sample(img, center, scale, rotation))['img']
    expected = _direct(img, center, scale, rotation)
    difference = np.abs(crop.astype(int) - expected)
    assert crop.shape == (224, 224, 3) and crop.dtype == np.uint8
    assert difference.max() <= 1 and (difference > 0).mean() < 1e-2
    if center[0] < 0:
        assert crop.max() == 0


@pytest.mark.parametrize('channels', [1, 4])
def test_other_channel_counts_are_warped_directly(channels):
    img = np.random.default_rng(1).integers(0, 256, (300, 400, channels), dtype=np.uint8).squeeze()
    crop = MeshAffine(64)(_sample(img, (200, 150), 1.0, 20.0))['img']
    np.testing.assert_array_equal(crop, _direct(img, (200, 150), 1.0, 20.0, res=64))


def test_source_window_holds_every_bilinear_tap():
    rng = np.random.default_rng(2)
    height, width = 500, 700
    ys, xs = np.mgrid[0:224, 0:224]
    grid = np.stack([xs.ravel(), ys.ravel(), np.ones(xs.size)], 1)
    for _ in range(50):
        matrix = get_affine_transform(rng.uniform(0, 700, 2), rng.uniform(0.3, 3), rng.uniform(-90, 90), (224, 224))
        x0, y0, x1, y1 = source_window(matrix, (224, 224), (height, width))
        source = grid @ cv2.invertAffineTransform(matrix).T
        taps_x = np.concatenate([np.floor(source[:, 0]), np.floor(source[:, 0]) + 1])
        taps_y = np.concatenate([np.floor(source[:, 1]), np.floor(source[:, 1]) + 1])
        inside_x = taps_x[(taps_x >= 0) & (taps_x < width)]
        inside_y = taps_y[(taps_y >= 0) & (taps_y < height)]
        assert 0 <= x0 and x1 <= width and 0 <= y0 and y1 <= height
        if inside_x.size and inside_y.size:
            assert x0 <= inside_x.min() and inside_x.max() < x1
            assert y0 <= inside_y.min() and inside_y.max() < y1
