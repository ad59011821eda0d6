"""Values of the CPU mesh renderer: coverage, depth, occlusion, shading, cameras, visibility."""
import re

import numpy as np
import pytest
import torch

from mesh_recovery.visualization import (MeshRenderer, PerspectiveCamera, rasterize_triangles,
                                         visible_points)

CAMERA = PerspectiveCamera(focal_length=(110.0, 95.0), principal_point=(31.3, 22.6))


def analytic_coverage(corners_2d, height, width):
    """Pixel centres strictly inside a 2D triangle, from scalar cross products."""
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float64)
    signs = []
    for k in range(3):
        a, b = corners_2d[k], corners_2d[(k + 1) % 3]
        signs.append((b[0] - a[0]) * (rows - a[1]) - (b[1] - a[1]) * (cols - a[0]))
    signs = np.stack(signs)
    margin = np.abs(signs).min(axis=0)
    inside = np.all(signs > 0, axis=0) | np.all(signs < 0, axis=0)
    return inside, margin


def plane_depth(corners_3d, camera, height, width):
    """Z where each pixel's viewing ray meets the triangle's plane."""
    normal = np.cross(corners_3d[1] - corners_3d[0], corners_3d[2] - corners_3d[0])
    offset = normal @ corners_3d[0]
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float64)
    (fx, fy), (cx, cy) = camera.focal_length, camera.principal_point
    rays = np.stack([(cols - cx) / fx, (rows - cy) / fy, np.ones_like(cols)], axis=-1)
    return offset / (rays @ normal)


def quad_mesh(z_left, z_right, half=1.0):
    """Square of side 2*half at x, y in [-half, half], depth varying linearly in x."""
    vertices = np.array([[-half, -half, z_left], [half, -half, z_right], [half, half, z_right],
                         [-half, half, z_left]])
    return vertices, np.array([[0, 1, 2], [0, 2, 3]])


@pytest.mark.parametrize('winding', [[0, 1, 2], [0, 2, 1]])
def test_single_triangle_covers_exactly_the_centres_inside_and_plane_depth(winding):
    corners = np.array([[-0.2, -0.15, 2.0], [0.25, -0.05, 2.6], [0.0, 0.3, 3.1]])
    height, width = 48, 64
    out = MeshRenderer(height, width).render(corners, np.array([winding]), CAMERA)
    uv, _ = CAMERA.project(corners)
    inside, margin = analytic_coverage(uv, height, width)
    assert margin.min() > 1e-6, 'test triangle must not pass through a pixel centre'
    assert inside.sum() > 100
    np.testing.assert_array_equal(out.mask, inside)
    expected = plane_depth(corners, CAMERA, height, width)
    np.testing.assert_allclose(out.depth[inside], expected[inside], rtol=1e-6)
    assert np.all(np.isinf(out.depth[~inside]))


def test_shared_edge_through_pixel_centres_is_drawn_exactly_once():
    # Unit focal length at depth 1: vertex (x, y) projects to pixel (x, y); the diagonal of
    # the square passes through the pixel centres (1, 1) ... (10, 10).
    camera = PerspectiveCamera(focal_length=(1.0, 1.0), principal_point=(0.0, 0.0))
    square = np.array([[0.5, 0.5, 1.0], [10.5, 0.5, 1.0], [10.5, 10.5, 1.0], [0.5, 10.5, 1.0]])
    uv, z = camera.project(square)
    for faces in ([[0, 1, 2], [0, 2, 3]], [[0, 1, 2], [3, 2, 0]], [[2, 1, 0], [0, 2, 3]]):
        masks = [
            rasterize_triangles(uv, z, np.array([face]), 12, 12).face_index >= 0 for face in faces
        ]
        assert not np.any(masks[0] & masks[1])
        expected = np.zeros((12, 12), dtype=bool)
        expected[1:11, 1:11] = True
        np.testing.assert_array_equal(masks[0] | masks[1], expected)


def test_grid_of_triangles_with_edges_in_all_directions_covers_each_centre_once():
    # Vertices at 0.5, 5 and 10.5: the inner horizontal, vertical and diagonal edges all run
    # through pixel centres; windings are mixed on purpose.
    camera = PerspectiveCamera(focal_length=(1.0, 1.0), principal_point=(0.0, 0.0))
    grid = np.array([[x, y, 1.0] for y in (0.5, 5.0, 10.5) for x in (0.5, 5.0, 10.5)])
    uv, z = camera.project(grid)
    faces = []
    for row in range(2):
        for col in range(2):
            a, b = 3 * row + col, 3 * row + col + 1
            c, d = a + 3, b + 3
            faces += [[a, b, d], [a, d, c]] if (row + col) % 2 else [[a, b, c], [c, b, d]]
    rng = np.random.default_rng(1)
    faces = [face[::-1] if rng.random() < 0.5 else face for face in faces]
    counts = sum((rasterize_triangles(uv, z, np.array([face]), 12, 12).face_index >= 0).astype(int)
                 for face in faces)
    expected = np.zeros((12, 12), dtype=int)
    expected[1:11, 1:11] = 1
    np.testing.assert_array_equal(counts, expected)


@pytest.mark.parametrize('near_first', [True, False])
def test_nearer_triangle_wins_regardless_of_draw_order(near_first):
    near_tri = np.array([[-0.3, -0.3, 2.0], [0.3, -0.3, 2.0], [0.0, 0.3, 2.0]])
    far_tri = np.array([[-0.4, -0.2, 3.0], [0.4, -0.2, 3.0], [0.0, 0.4, 3.0]])
    triangles = [near_tri, far_tri] if near_first else [far_tri, near_tri]
    colors = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    if not near_first:
        colors = colors[::-1]
    renderer = MeshRenderer(48, 64, ambient=1.0, diffuse=0.0)
    out = renderer.render(np.concatenate(triangles),
                          np.array([[0, 1, 2], [3, 4, 5]]),
                          CAMERA,
                          face_colors=colors)
    uv_near, _ = CAMERA.project(near_tri)
    uv_far, _ = CAMERA.project(far_tri)
    in_near = analytic_coverage(uv_near, 48, 64)[0]
    in_far = analytic_coverage(uv_far, 48, 64)[0]
    both = in_near & in_far
    assert both.sum() > 50 and (in_far & ~in_near).sum() > 10
    np.testing.assert_array_equal(out.image[both], np.tile([0, 0, 255], (both.sum(), 1)))
    np.testing.assert_array_equal(out.image[in_far & ~in_near],
                                  np.tile([255, 0, 0], ((in_far & ~in_near).sum(), 1)))
    np.testing.assert_allclose(out.depth[both], 2.0, rtol=1e-6)


def sphere_mesh(radius=0.5, rings=24, segments=32, centre=(0.0, 0.0, 3.0)):
    theta = np.linspace(0, np.pi, rings)[1:-1]
    phi = np.linspace(0, 2 * np.pi, segments, endpoint=False)
    t, p = np.meshgrid(theta, phi, indexing='ij')
    ring_points = np.stack([np.sin(t) * np.cos(p), np.cos(t), np.sin(t) * np.sin(p)], -1)
    vertices = np.concatenate([[[0, 1, 0]], ring_points.reshape(-1, 3), [[0, -1, 0]]])
    faces = []
    last = len(vertices) - 1
    for j in range(segments):
        k = (j + 1) % segments
        faces += [[0, 1 + k, 1 + j],
                  [last, 1 + (rings - 3) * segments + j, 1 + (rings - 3) * segments + k]]
        for i in range(rings - 3):
            a, b = 1 + i * segments + j, 1 + i * segments + k
            faces += [[a, b, a + segments], [b, b + segments, a + segments]]
    return vertices * radius + np.asarray(centre), np.array(faces)


def test_mask_is_the_non_background_pixels_and_matches_sphere_outline():
    vertices, faces = sphere_mesh()
    camera = PerspectiveCamera(focal_length=(60.0, 60.0), principal_point=(32.0, 24.0))
    out = MeshRenderer(48, 64, background_color=(0.0, 0.0, 0.0)).render(vertices, faces, camera)
    np.testing.assert_array_equal(out.mask, out.image.any(axis=2))
    np.testing.assert_array_equal(out.mask, np.isfinite(out.depth))
    # Outline of a sphere of radius r at distance d: a circle of angular radius asin(r / d).
    rows, cols = np.mgrid[0:48, 0:64]
    radius_px = 60.0 * np.tan(np.arcsin(0.5 / 3.0))
    distance = np.hypot(cols - 32.0, rows - 24.0)
    assert np.all(out.mask[distance < radius_px - 1.0])
    assert not np.any(out.mask[distance > radius_px + 0.5])
    # The front surface is nearer than the centre.
    assert 2.5 - 1e-3 < out.depth[24, 32] < 2.5 + 1e-2


def test_overlay_keeps_pixels_outside_mask_and_blends_inside():
    vertices, faces = sphere_mesh()
    camera = PerspectiveCamera(focal_length=(60.0, 60.0), principal_point=(30.0, 20.0))
    renderer = MeshRenderer(48, 64)
    background = np.random.default_rng(0).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    alone = renderer.render(vertices, faces, camera)
    over = renderer.render(vertices, faces, camera, image=background)
    half = renderer.render(vertices, faces, camera, image=background, alpha=0.5)
    assert 100 < over.mask.sum() < 48 * 64
    np.testing.assert_array_equal(over.image[~over.mask], background[~over.mask])
    np.testing.assert_array_equal(half.image[~half.mask], background[~half.mask])
    np.testing.assert_array_equal(over.image[over.mask], alone.image[alone.mask])
    blend = 0.5 * alone.image[alone.mask].astype(float) + 0.5 * background[alone.mask]
    assert np.abs(half.image[half.mask] - blend).max() <= 1.0


def test_lambert_shading_is_two_sided_and_follows_light():
    triangle = np.array([[-0.3, -0.3, 2.0], [0.3, -0.3, 2.0], [0.0, 0.3, 2.0]])
    base = (0.5, 0.6, 0.8)
    for winding in ([0, 1, 2], [2, 1, 0]):
        for light, intensity in (((0.0, 0.0, -1.0), 0.3 + 0.6), ((1.0, 0.0, 0.0), 0.3),
                                 ((0.0, 0.0, 1.0), 0.3), ((0.0, -1.0, -1.0), 0.3 + 0.6 / 2**0.5)):
            for smooth in (True, False):
                renderer = MeshRenderer(48,
                                        64,
                                        light_dir=light,
                                        ambient=0.3,
                                        diffuse=0.6,
                                        base_color=base,
                                        smooth=smooth)
                out = renderer.render(triangle, np.array([winding]), CAMERA)
                expected_bgr = np.rint(255 * intensity * np.array(base[::-1]))
                assert out.mask.sum() > 100
                np.testing.assert_allclose(out.image[out.mask],
                                           np.tile(expected_bgr, (out.mask.sum(), 1)),
                                           atol=1)


def test_vertex_colors_interpolate_with_perspective_correct_barycentrics():
    # Fronto-parallel, so perspective-correct equals screen-space barycentrics.
    triangle = np.array([[-0.3, -0.3, 2.0], [0.35, -0.25, 2.0], [0.0, 0.3, 2.0]])
    colors = np.eye(3)  # vertex k is pure R, G, B
    out = MeshRenderer(48, 64, ambient=1.0, diffuse=0.0).render(triangle,
                                                                np.array([[0, 1, 2]]),
                                                                CAMERA,
                                                                vertex_colors=colors)
    uv, _ = CAMERA.project(triangle)
    rows, cols = np.nonzero(out.mask)
    matrix = np.vstack([uv.T, np.ones(3)])  # solves for barycentrics of each pixel centre
    bary = np.linalg.solve(matrix, np.vstack([cols, rows, np.ones_like(cols)])).T
    np.testing.assert_allclose(out.image[rows, cols][:, ::-1], 255 * bary, atol=1)


def test_weak_perspective_camera_places_origin_at_crop_centre_plus_offset():
    camera = PerspectiveCamera.from_weak_perspective(torch.tensor([0.8, 0.1, -0.2]), img_res=224)
    np.testing.assert_allclose(camera.translation, [0.1, -0.2, 2 * 5000 / (224 * 0.8 + 1e-9)])
    assert camera.principal_point == (112.0, 112.0)
    uv, depth = camera.project(np.zeros((1, 3)))
    # u = f * tx / (2 f / (res s)) + res / 2 = tx * res * s / 2 + res / 2
    np.testing.assert_allclose(uv[0], [0.1 * 224 * 0.8 / 2 + 112, -0.2 * 224 * 0.8 / 2 + 112])
    out = MeshRenderer(224, 224).render(
        np.array([[-0.02, -0.02, 0.0], [0.02, -0.02, 0.0], [0.0, 0.02, 0.0]]),
        np.array([[0, 1, 2]]), camera)
    rows, cols = np.nonzero(out.mask)
    assert abs(cols.mean() - uv[0, 0]) < 1.0 and abs(rows.mean() - uv[0, 1]) < 2.0
    np.testing.assert_allclose(out.depth[out.mask], depth[0], rtol=1e-6)


def test_world_frame_vertices_and_torch_inputs_use_camera_extrinsics():
    vertices, faces = sphere_mesh(centre=(0.0, 0.0, 0.0))
    angle = np.deg2rad(30.0)
    rotation = np.array([[np.cos(angle), 0, np.sin(angle)], [0, 1, 0],
                         [-np.sin(angle), 0, np.cos(angle)]])
    intrinsics = dict(focal_length=(60.0, 60.0), principal_point=(32.0, 24.0))
    world_camera = PerspectiveCamera(rotation=rotation,
                                     translation=np.array([0.1, 0.0, 3.0]),
                                     **intrinsics)
    renderer = MeshRenderer(48, 64)
    from_world = renderer.render(
        torch.from_numpy(vertices).float(), torch.from_numpy(faces), world_camera)
    in_camera = (vertices @ rotation.T + [0.1, 0.0, 3.0]).astype(np.float32)
    direct = renderer.render(in_camera, faces, PerspectiveCamera(**intrinsics))
    np.testing.assert_array_equal(from_world.mask, direct.mask)
    np.testing.assert_allclose(from_world.depth[direct.mask], direct.depth[direct.mask], rtol=1e-6)


def test_side_view_turns_a_wide_thin_slab_edge_on():
    # 1.0 m wide (x), 1.0 m tall (y), only 0.1 m deep (z): edge-on after 90 degrees.
    half = np.array([0.5, 0.5, 0.05])
    signs = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)])
    vertices = signs * half + [0.0, 0.0, 4.0]
    faces = np.array([[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1], [2, 3, 7],
                      [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]])
    camera = PerspectiveCamera(focal_length=(100.0, 100.0), principal_point=(40.0, 40.0))
    renderer = MeshRenderer(80, 80)
    front = renderer.render(vertices, faces, camera)
    side = renderer.render_side_view(vertices, faces, camera)
    front_width = np.ptp(np.nonzero(front.mask)[1]) + 1
    side_width = np.ptp(np.nonzero(side.mask)[1]) + 1
    assert 24 <= front_width <= 26  # 100 * 1.0 / 3.95
    assert 2 <= side_width <= 4  # 100 * 0.1 / 3.5
    # Turned, the slab's near end is 0.45 m closer than its front face was, so it looks taller.
    front_height = np.ptp(np.nonzero(front.mask)[0]) + 1
    side_height = np.ptp(np.nonzero(side.mask)[0]) + 1
    assert 24 <= front_height <= 26 and 28 <= side_height <= 30  # 100 / 3.95, 100 / 3.5


def test_visible_points_uses_the_depth_buffer():
    vertices, faces = quad_mesh(3.0, 3.0, half=0.5)
    camera = PerspectiveCamera(focal_length=(50.0, 50.0), principal_point=(32.0, 24.0))
    out = MeshRenderer(48, 64).render(vertices, faces, camera)
    points = np.array([
        [0.0, 0.0, 3.5],  # behind the square
        [0.0, 0.0, 2.5],  # in front of it
        [0.0, 0.0, 3.05],  # behind, within the tolerance
        [1.5, 0.0, 3.5],  # beside it, nothing in the way
        [0.0, 0.0, -1.0],  # behind the camera
        [5.0, 0.0, 3.0],  # outside the image
    ])
    visible = visible_points(points, out.depth, camera, tol=0.1)
    np.testing.assert_array_equal(visible, [False, True, True, True, False, False])


def test_large_close_up_triangles_are_chunked_without_changing_the_result():
    vertices, faces = sphere_mesh(radius=0.5, centre=(0.1, 0.0, 1.2))
    camera = PerspectiveCamera(focal_length=(150.0, 150.0), principal_point=(60.0, 50.0))
    reference = MeshRenderer(100, 120).render(vertices, faces, camera)
    chunked = MeshRenderer(100, 120, max_fragments=64).render(vertices, faces, camera)
    np.testing.assert_array_equal(chunked.mask, reference.mask)
    np.testing.assert_array_equal(chunked.depth, reference.depth)
    np.testing.assert_array_equal(chunked.image, reference.image)
    assert reference.mask.mean() > 0.5


def test_triangles_behind_the_camera_are_dropped():
    vertices, faces = quad_mesh(-1.0, -1.0)
    out = MeshRenderer(48, 64).render(vertices, faces, CAMERA)
    assert not out.mask.any()


@pytest.mark.parametrize('kwargs, message', [
    (dict(faces=np.array([[0, 1, 5]])), 'faces: indices must lie in'),
    (dict(image=np.zeros((10, 10, 3), dtype=np.uint8)), 'image: expected a (48, 64, 3)'),
    (dict(face_colors=np.full((1, 3), 200.0)), 'face_colors: expected RGB values in [0, 1]'),
    (dict(vertex_colors=np.ones((2, 3))), 'vertex_colors: expected shape (3, 3)'),
    (dict(vertices=np.array([[0, 0, 2.0], [np.nan, 0, 2.0], [0, 0.1, 2.0]])),
     'vertices: 1 non-finite'),
])
def test_bad_inputs_raise_clear_errors(kwargs, message):
    args = dict(vertices=np.array([[0, 0, 2.0], [0.1, 0, 2.0], [0, 0.1, 2.0]]),
                faces=np.array([[0, 1, 2]]),
                camera=CAMERA)
    args.update(kwargs)
    with pytest.raises(ValueError, match=re.escape(message)):
        MeshRenderer(48, 64).render(**args)
