"""Draw recovered meshes over their image, and beside it a side view, with the CPU renderer."""
from typing import List, NamedTuple, Sequence, Tuple

import numpy as np

from mesh_recovery.visualization import MeshRenderer, RenderOutput

from .inference import PersonMesh

# RGB in [0, 1], cycled over people.
PALETTE = ((0.70, 0.78, 0.90), (0.95, 0.72, 0.55), (0.62, 0.88, 0.62), (0.90, 0.64, 0.84),
           (0.95, 0.90, 0.55), (0.58, 0.86, 0.90))


class MeshOverlay(NamedTuple):
    """Rendered panels of :func:`render_overlay`.

    Attributes:
        image: ``(H, W, 3)`` uint8 BGR input with the meshes drawn over it.
        side_view: ``(H, W, 3)`` uint8 BGR meshes turned about their vertical axis.
        person_index: ``(H, W)`` int64 person drawn at each pixel of ``image``, -1 where none.
        side_person_index: ``(H, W)`` int64 the same for ``side_view``.
    """

    image: np.ndarray
    side_view: np.ndarray
    person_index: np.ndarray
    side_person_index: np.ndarray

    def panels(self) -> np.ndarray:
        """``(H, 2 W, 3)`` uint8: the overlay and the side view side by side."""
        return np.concatenate([self.image, self.side_view], axis=1)


def _composite(background: np.ndarray, renders: List[RenderOutput],
               depth_scales: Sequence[float]) -> Tuple[np.ndarray, np.ndarray]:
    """Per pixel, keep the person nearest in a shared camera.

    Person ``i`` was rendered with its own focal length ``f_i``; the same image
    comes from a shared camera of focal ``F`` viewing depths ``Z * F / f_i``, so
    depths are compared after multiplying by ``depth_scales[i] = 1 / f_i``.
    """
    if not renders:
        return background.copy(), np.full(background.shape[:2], -1, dtype=np.int64)
    depth = np.stack([r.depth.astype(np.float64) * s for r, s in zip(renders, depth_scales)])
    covered = np.stack([r.mask for r in renders]).any(axis=0)
    nearest = np.argmin(np.where(np.isfinite(depth), depth, np.inf), axis=0)
    person_index = np.where(covered, nearest, -1)
    out = background.copy()
    rows, cols = np.nonzero(covered)
    out[rows, cols] = np.stack([r.image for r in renders])[nearest[rows, cols], rows, cols]
    return out, person_index


def render_overlay(image: np.ndarray, people: Sequence[PersonMesh], alpha: float = 1.0,
                   side_angle_deg: float = 90.0,
                   side_background: Tuple[int, int, int] = (255, 255, 255), side_view: bool = True) -> MeshOverlay:
    """Render each person's mesh with its full-image camera over ``image``, and a side view.

    Each person is drawn with :meth:`PersonMesh.image_camera`, so its mesh lands
    where the crop camera put it in the crop; where people overlap, the one
    nearer in a shared camera wins. The side view turns every mesh by
    ``side_angle_deg`` about the vertical axis through its own centre and draws it
    at the same place on a plain background.

    Args:
        image: ``(H, W, 3)`` uint8 BGR image the people were recovered from.
        people: Results of :func:`~mesh_recovery.apis.inference_model` on it.
        alpha: Opacity of the meshes over the image, in [0, 1].
        side_angle_deg: Rotation of the side view, degrees (90: the person's left side).
        side_background: BGR colour of the side-view panel.
        side_view: Render the side view (False leaves that panel plain: half the work, for videos).

    Returns:
        MeshOverlay with both panels and the per-pixel person indices.
    """
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f'image must be (H, W, 3) uint8 BGR, got {image.shape} {image.dtype}')
    height, width = image.shape[:2]
    side_panel = np.empty_like(image)
    side_panel[:] = np.asarray(side_background, dtype=np.uint8)
    fronts, sides, scales = [], [], []
    for i, person in enumerate(people):
        renderer = MeshRenderer(height, width, base_color=PALETTE[i % len(PALETTE)])
        camera = person.image_camera()
        fronts.append(renderer.render(person.vertices, person.faces, camera, image=image, alpha=alpha))
        if side_view:
            sides.append(renderer.render_side_view(person.vertices, person.faces, camera,
                                                   angle_deg=side_angle_deg, image=side_panel))
        scales.append(1.0 / person.focal_length)
    front, front_index = _composite(image, fronts, scales)
    side, side_index = _composite(side_panel, sides, scales)
    return MeshOverlay(image=front, side_view=side, person_index=front_index, side_person_index=side_index)
