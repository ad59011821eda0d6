"""CPU mesh renderer: z-buffered, Lambert-shaded triangles, alone or over an image.

Colour conventions: mesh colours (``base_color``, ``vertex_colors``, ``face_colors``,
``background_color``) are RGB floats in [0, 1]; images (background in, result out) are
``uint8`` BGR as used by OpenCV.
"""
from typing import NamedTuple, Optional, Sequence, Tuple

import numpy as np

from .camera import PerspectiveCamera, as_numpy
from .rasterize import Fragments, rasterize_triangles


class RenderOutput(NamedTuple):
    """Rendered image and buffers.

    Attributes:
        image: ``(H, W, 3)`` uint8 BGR image.
        mask: ``(H, W)`` bool, True where the mesh covers the pixel centre.
        depth: ``(H, W)`` float32 camera-frame ``Z`` of the visible surface in metres,
            ``+inf`` where empty.
    """

    image: np.ndarray
    mask: np.ndarray
    depth: np.ndarray


def _unit(vectors: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norm, 1e-12)


def _rgb(color: Sequence[float], name: str) -> np.ndarray:
    color = as_numpy(color, name).reshape(-1)
    if color.shape != (3, ) or np.any(color < 0) or np.any(color > 1):
        raise ValueError(f'{name}: expected an RGB triple in [0, 1], got {color.tolist()}')
    return color


def _rotation_y(angle_deg: float) -> np.ndarray:
    angle = np.deg2rad(angle_deg)
    cos, sin = np.cos(angle), np.sin(angle)
    return np.array([[cos, 0.0, sin], [0.0, 1.0, 0.0], [-sin, 0.0, cos]])


class MeshRenderer:
    """Renders triangle meshes on the CPU with a vectorised z-buffer rasteriser.

    Shading is Lambertian with one directional light plus ambient light, two-sided (normals
    are turned towards the camera, so the winding of ``faces`` does not matter). Construction
    is cheap: make a new renderer to vary the lighting per image.

    Args:
        height: output height in pixels.
        width: output width in pixels.
        light_dir: ``(3,)`` direction from the surface towards the light, camera frame
            (x right, y down, z forward); the default lights from above-left-front.
        ambient: ambient light intensity (>= 0).
        diffuse: directional light intensity (>= 0).
        base_color: RGB in [0, 1] used when no vertex or face colours are given.
        background_color: RGB in [0, 1] of empty pixels when no background image is given.
        smooth: Gouraud shading from area-weighted vertex normals (True) or flat face
            normals (False).
        near: triangles with a vertex closer than this depth (metres) are not drawn.
        max_fragments: most candidate pixels rasterised at once (bounds memory).
    """

    def __init__(self,
                 height: int,
                 width: int,
                 light_dir: Tuple[float, float, float] = (-0.3, -0.5, -1.0),
                 ambient: float = 0.35,
                 diffuse: float = 0.7,
                 base_color: Tuple[float, float, float] = (0.70, 0.78, 0.90),
                 background_color: Tuple[float, float, float] = (0.0, 0.0, 0.0),
                 smooth: bool = True,
                 near: float = 1e-3,
                 max_fragments: int = 1 << 19) -> None:
        if height <= 0 or width <= 0:
            raise ValueError(f'height, width: expected positive sizes, got {height}x{width}')
        light = as_numpy(light_dir, 'light_dir').reshape(-1)
        if light.shape != (3, ) or not np.linalg.norm(light) > 0:
            raise ValueError(f'light_dir: expected a non-zero 3-vector, got {light_dir!r}')
        if ambient < 0 or diffuse < 0:
            raise ValueError(f'ambient, diffuse: expected non-negative intensities, got '
                             f'{ambient}, {diffuse}')
        self.height, self.width = int(height), int(width)
        self.light_dir = light / np.linalg.norm(light)
        self.ambient, self.diffuse = float(ambient), float(diffuse)
        self.base_color = _rgb(base_color, 'base_color')
        self.background_color = _rgb(background_color, 'background_color')
        self.smooth = bool(smooth)
        self.near = float(near)
        self.max_fragments = int(max_fragments)

    def render(self,
               vertices,
               faces,
               camera: PerspectiveCamera,
               image: Optional[np.ndarray] = None,
               vertex_colors=None,
               face_colors=None,
               alpha: float = 1.0) -> RenderOutput:
        """Renders a mesh, alone or over a background image.

        Args:
            vertices: ``(V, 3)`` vertices in metres, in the frame ``camera`` maps from (the
                camera frame itself when the camera has identity extrinsics); numpy or torch.
            faces: ``(F, 3)`` vertex indices.
            camera: the camera to render with.
            image: optional ``(H, W, 3)`` uint8 BGR background; pixels outside the mask are
                returned unchanged.
            vertex_colors: optional ``(V, 3)`` RGB in [0, 1], interpolated over faces.
            face_colors: optional ``(F, 3)`` RGB in [0, 1] (exclusive with vertex_colors).
            alpha: opacity of the mesh over the background, in [0, 1].

        Returns:
            RenderOutput: BGR image, person mask and depth buffer.
        """
        points_cam = camera.to_camera_frame(vertices)
        if not np.isfinite(points_cam).all():
            raise ValueError(f'vertices: {np.count_nonzero(~np.isfinite(points_cam).all(axis=1))} '
                             f'non-finite vertices (NaN or inf) after the camera transform')
        faces = self._check_faces(faces, len(points_cam))
        albedo_source = self._check_colors(vertex_colors, face_colors, len(points_cam), len(faces))
        background = self._background(image)
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f'alpha: expected an opacity in [0, 1], got {alpha}')
        uv = camera.project_camera_points(points_cam)
        frags = rasterize_triangles(uv,
                                    points_cam[:, 2],
                                    faces,
                                    self.height,
                                    self.width,
                                    near=self.near,
                                    max_fragments=self.max_fragments)
        color = self._shade(points_cam, faces, frags, albedo_source)  # (K, 3) RGB
        out = np.array(background, dtype=np.uint8).reshape(-1, 3)  # a copy, background kept
        blended = alpha * 255.0 * color[:, ::-1]
        if alpha < 1.0:
            blended += (1.0 - alpha) * out[frags.pixel_index]
        out[frags.pixel_index] = np.rint(np.minimum(blended, 255.0))
        out = out.reshape(self.height, self.width, 3)
        return RenderOutput(image=out, mask=frags.face_index >= 0, depth=frags.depth)

    def render_side_view(self,
                         vertices,
                         faces,
                         camera: PerspectiveCamera,
                         angle_deg: float = 90.0,
                         image: Optional[np.ndarray] = None,
                         vertex_colors=None,
                         face_colors=None,
                         alpha: float = 1.0) -> RenderOutput:
        """Renders the mesh turned about the vertical axis through its centre.

        The mesh is moved to the camera frame, rotated by ``angle_deg`` about the camera's
        y axis (vertical) through its bounding-box centre, and rendered with the same
        intrinsics; 90 degrees shows the left side of a person who faced the camera.

        Args:
            vertices: ``(V, 3)`` vertices in metres, as for :meth:`render`.
            faces: ``(F, 3)`` vertex indices.
            camera: the camera of the front view.
            angle_deg: rotation in degrees.
            image: optional ``(H, W, 3)`` uint8 BGR background.
            vertex_colors: optional ``(V, 3)`` RGB in [0, 1].
            face_colors: optional ``(F, 3)`` RGB in [0, 1].
            alpha: opacity of the mesh over the background.

        Returns:
            RenderOutput: the side view.
        """
        points_cam = camera.to_camera_frame(vertices)
        centre = 0.5 * (points_cam.min(axis=0) + points_cam.max(axis=0))
        turned = (points_cam - centre) @ _rotation_y(angle_deg).T + centre
        intrinsics = PerspectiveCamera(focal_length=camera.focal_length,
                                       principal_point=camera.principal_point)
        return self.render(turned,
                           faces,
                           intrinsics,
                           image=image,
                           vertex_colors=vertex_colors,
                           face_colors=face_colors,
                           alpha=alpha)

    def _shade(self, points_cam: np.ndarray, faces: np.ndarray, frags: Fragments,
               albedo_source) -> np.ndarray:
        """Lambert colour (K, 3) RGB in [0, 1] of the covered pixels."""
        face = frags.face_index.reshape(-1)[frags.pixel_index]
        corner = [np.ascontiguousarray(faces[:, i]) for i in range(3)]
        # Per-coordinate 1-D gathers: much faster than gathering (F, 3) rows.
        coords = [np.ascontiguousarray(points_cam[:, i]) for i in range(3)]
        p0, p1, p2 = ([x[c] for x in coords] for c in corner)
        e1 = [b - a for a, b in zip(p0, p1)]
        e2 = [b - a for a, b in zip(p0, p2)]
        face_normal = np.stack([
            e1[1] * e2[2] - e1[2] * e2[1], e1[2] * e2[0] - e1[0] * e2[2],
            e1[0] * e2[1] - e1[1] * e2[0]
        ],
                               axis=1)  # |n| = 2 * area
        # Two-sided lighting: a face whose normal points away from the camera is lit as if
        # seen from its other side.
        away = sum(face_normal[:, i] * (p0[i] + p1[i] + p2[i]) for i in range(3)) > 0
        if self.smooth:
            # Gouraud: light the vertices for both sides, pick the side per face, interpolate.
            flat_corners = faces.reshape(-1)
            vertex_normal = np.stack([
                np.bincount(flat_corners,
                            weights=np.repeat(face_normal[:, i], 3),
                            minlength=len(points_cam)) for i in range(3)
            ],
                                     axis=1)
            cosine = _unit(vertex_normal) @ self.light_dir
            table = self.ambient + self.diffuse * np.maximum(np.concatenate([cosine, -cosine]), 0.0)
            side = np.where(away[face], len(points_cam), 0)
            shade = sum(frags.bary[:, k] * table[corner[k][face] + side] for k in range(3))
        else:
            cosine = (_unit(face_normal) @ self.light_dir) * np.where(away, -1.0, 1.0)
            shade = (self.ambient + self.diffuse * np.maximum(cosine, 0.0))[face]
        kind, values = albedo_source
        if kind == 'vertex':
            albedo = sum(frags.bary[:, k, None] * values[corner[k][face]] for k in range(3))
        elif kind == 'face':
            albedo = values[face]
        else:
            albedo = self.base_color
        return np.minimum(albedo * shade[:, None], 1.0)

    def _background(self, image: Optional[np.ndarray]) -> np.ndarray:
        if image is None:
            bgr = np.rint(self.background_color[::-1] * 255.0).astype(np.uint8)
            return np.broadcast_to(bgr, (self.height, self.width, 3))
        image = np.asarray(image)
        if image.shape != (self.height, self.width, 3) or image.dtype != np.uint8:
            raise ValueError(f'image: expected a ({self.height}, {self.width}, 3) uint8 BGR '
                             f'image, got {image.shape} {image.dtype}; resize it or build the '
                             f'renderer with its size')
        return image

    @staticmethod
    def _check_faces(faces, num_vertices: int) -> np.ndarray:
        faces = as_numpy(faces, 'faces', dtype=np.int64)
        if faces.ndim != 2 or faces.shape[1] != 3:
            raise ValueError(f'faces: expected shape (F, 3) of vertex indices, got '
                             f'{faces.shape}')
        if faces.size and (faces.min() < 0 or faces.max() >= num_vertices):
            raise ValueError(f'faces: indices must lie in [0, {num_vertices}), got range '
                             f'[{faces.min()}, {faces.max()}]')
        return faces

    @staticmethod
    def _check_colors(vertex_colors, face_colors, num_vertices: int, num_faces: int):
        if vertex_colors is not None and face_colors is not None:
            raise ValueError('vertex_colors, face_colors: give at most one of them')
        for kind, colors, rows in (('vertex', vertex_colors, num_vertices), ('face', face_colors,
                                                                             num_faces)):
            if colors is None:
                continue
            colors = as_numpy(colors, f'{kind}_colors')
            if colors.shape != (rows, 3):
                raise ValueError(f'{kind}_colors: expected shape ({rows}, 3), got '
                                 f'{colors.shape}')
            if np.any(colors < 0) or np.any(colors > 1):
                raise ValueError(f'{kind}_colors: expected RGB values in [0, 1], got range '
                                 f'[{colors.min()}, {colors.max()}]; divide 0-255 colours by '
                                 f'255')
            return kind, colors
        return 'base', None
