"""Z-buffer visibility test for 3D points (e.g. joints) against a rendered depth map."""
import numpy as np

from .camera import PerspectiveCamera, as_numpy


def visible_points(points_3d, depth: np.ndarray, camera: PerspectiveCamera,
                   tol: float) -> np.ndarray:
    """Tells which points are not hidden by the rendered surface.

    A point is visible when it is in front of the camera, projects inside the image, and its
    depth is at most the rendered depth at its nearest pixel plus ``tol`` (or that pixel is
    empty). Joints lie inside the body, behind its front surface, so ``tol`` should be about
    the local body half-thickness (roughly 0.1 m for a person); occluders nearer than that
    are not detected.

    Args:
        points_3d: ``(N, 3)`` points in metres, in the same frame as the rendered vertices.
        depth: ``(H, W)`` depth buffer from ``MeshRenderer.render`` (``+inf`` where empty).
        camera: the camera the depth buffer was rendered with.
        tol: depth tolerance in metres (>= 0).

    Returns:
        np.ndarray: ``(N,)`` bool, True for visible points.
    """
    depth = np.asarray(depth)
    if depth.ndim != 2:
        raise ValueError(f'depth: expected an (H, W) depth buffer, got shape {depth.shape}')
    if tol < 0:
        raise ValueError(f'tol: expected a non-negative depth tolerance in metres, got {tol}')
    points_cam = camera.to_camera_frame(as_numpy(points_3d, 'points_3d'))
    z = points_cam[:, 2]
    in_front = z > 0
    uv = camera.project_camera_points(np.where(in_front[:, None], points_cam, 1.0))
    # Pixel centres sit at integer coordinates, so the nearest pixel is the rounded one.
    col = np.floor(uv[:, 0] + 0.5)
    row = np.floor(uv[:, 1] + 0.5)
    height, width = depth.shape
    inside = in_front & (col >= 0) & (col < width) & (row >= 0) & (row < height)
    surface = np.full(len(z), -np.inf)
    surface[inside] = depth[row[inside].astype(np.int64), col[inside].astype(np.int64)]
    return inside & (z <= surface + tol)
