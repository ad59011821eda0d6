"""Pinhole camera used by the renderer (OpenCV frame: x right, y down, z forward, metres)."""
from dataclasses import dataclass, field
from typing import Sequence, Tuple, Union

import numpy as np

ArrayLike = Union[np.ndarray, Sequence[float]]


def as_numpy(array, name: str, dtype=np.float64) -> np.ndarray:
    """Converts a numpy array, sequence or torch tensor to a numpy array.

    Args:
        array: numpy array, nested sequence or torch tensor (any device).
        name: argument name used in error messages.
        dtype: numpy dtype of the result.

    Returns:
        np.ndarray: the values as ``dtype``.
    """
    if hasattr(array, 'detach'):  # torch.Tensor, without importing torch here
        array = array.detach().cpu().numpy()
    try:
        return np.asarray(array, dtype=dtype)
    except (TypeError, ValueError) as err:
        raise TypeError(f'{name}: expected a numeric array, got {type(array).__name__} '
                        f'({err})') from err


def _check_points(points: np.ndarray, name: str) -> None:
    if points.ndim != 2 or points.shape[1] != 3:
        raise ValueError(f'{name}: expected shape (N, 3), got {points.shape}')


@dataclass
class PerspectiveCamera:
    """Pinhole camera in OpenCV convention.

    A point ``X`` (metres) is mapped to the camera frame by ``X_cam = R @ X + t`` and
    then to pixels by ``u = fx * X_cam / Z_cam + cx`` and ``v = fy * Y_cam / Z_cam + cy``.
    Pixel ``(row v, col u)`` has its centre at integer image coordinates ``(u, v)``
    (OpenCV convention, as used by ``cv2.warpAffine`` and ``cv2.circle``).

    Attributes:
        focal_length: ``(fx, fy)`` in pixels.
        principal_point: ``(cx, cy)`` in pixels.
        rotation: ``(3, 3)`` world-to-camera rotation ``R``.
        translation: ``(3,)`` world-to-camera translation ``t`` in metres.
    """

    focal_length: Tuple[float, float]
    principal_point: Tuple[float, float]
    rotation: np.ndarray = field(default_factory=lambda: np.eye(3))
    translation: np.ndarray = field(default_factory=lambda: np.zeros(3))

    def __post_init__(self) -> None:
        focal = as_numpy(self.focal_length, 'focal_length').reshape(-1)
        centre = as_numpy(self.principal_point, 'principal_point').reshape(-1)
        if focal.shape != (2, ) or not np.all(np.isfinite(focal)) or np.any(focal <= 0):
            raise ValueError(f'focal_length: expected two positive finite values (fx, fy) in '
                             f'pixels, got {self.focal_length!r}')
        if centre.shape != (2, ) or not np.all(np.isfinite(centre)):
            raise ValueError(f'principal_point: expected two finite values (cx, cy) in pixels, '
                             f'got {self.principal_point!r}')
        self.focal_length = (float(focal[0]), float(focal[1]))
        self.principal_point = (float(centre[0]), float(centre[1]))
        self.rotation = as_numpy(self.rotation, 'rotation')
        self.translation = as_numpy(self.translation, 'translation').reshape(-1)
        if self.rotation.shape != (3, 3):
            raise ValueError(f'rotation: expected a (3, 3) matrix, got shape '
                             f'{self.rotation.shape}')
        if self.translation.shape != (3, ):
            raise ValueError(f'translation: expected 3 values, got shape '
                             f'{self.translation.shape}')

    @classmethod
    def from_weak_perspective(cls,
                              cam: ArrayLike,
                              img_res: int,
                              focal_length: float = 5000.0) -> 'PerspectiveCamera':
        """Builds the HMR crop camera from a weak-perspective camera (docs/conventions.md, weak-perspective camera).

        Args:
            cam: ``(3,)`` weak-perspective camera ``(s, tx, ty)`` as predicted by HMR.
            img_res: side of the square crop in pixels (224 for HMR).
            focal_length: focal length in pixels used to turn scale into depth.

        Returns:
            PerspectiveCamera: identity rotation, translation
            ``[tx, ty, 2 * f / (img_res * s + 1e-9)]``, principal point at the crop centre
            ``(img_res / 2, img_res / 2)``; vertices are given in the body frame.
        """
        cam = as_numpy(cam, 'cam').reshape(-1)
        if cam.shape != (3, ):
            raise ValueError(f'cam: expected (s, tx, ty), got shape {cam.shape}; pass one '
                             f'camera at a time')
        if img_res <= 0:
            raise ValueError(f'img_res: expected a positive crop size in pixels, got {img_res}')
        scale, tx, ty = cam
        depth = 2.0 * focal_length / (img_res * scale + 1e-9)
        centre = img_res / 2.0
        return cls(focal_length=(focal_length, focal_length),
                   principal_point=(centre, centre),
                   translation=np.array([tx, ty, depth]))

    def to_camera_frame(self, points: ArrayLike) -> np.ndarray:
        """Maps world points to the camera frame.

        Args:
            points: ``(N, 3)`` points in metres (numpy or torch).

        Returns:
            np.ndarray: ``(N, 3)`` camera-frame points ``R @ X + t`` (float64).
        """
        points = as_numpy(points, 'points')
        _check_points(points, 'points')
        return points @ self.rotation.T + self.translation

    def project_camera_points(self, points_cam: np.ndarray) -> np.ndarray:
        """Projects camera-frame points to pixel coordinates.

        Args:
            points_cam: ``(N, 3)`` camera-frame points in metres (``Z > 0`` to be meaningful).

        Returns:
            np.ndarray: ``(N, 2)`` pixel coordinates ``(u, v)``; points with ``Z <= 0``
            give non-finite or mirrored values and must be filtered by the caller.
        """
        fx, fy = self.focal_length
        cx, cy = self.principal_point
        with np.errstate(divide='ignore', invalid='ignore'):
            inv_z = 1.0 / points_cam[:, 2]
        return np.stack([fx * points_cam[:, 0] * inv_z + cx, fy * points_cam[:, 1] * inv_z + cy],
                        axis=1)

    def project(self, points: ArrayLike) -> Tuple[np.ndarray, np.ndarray]:
        """Projects world points to pixels.

        Args:
            points: ``(N, 3)`` world points in metres.

        Returns:
            tuple: ``(N, 2)`` pixel coordinates ``(u, v)`` and ``(N,)`` camera-frame depth
            ``Z`` in metres.
        """
        points_cam = self.to_camera_frame(points)
        return self.project_camera_points(points_cam), points_cam[:, 2]
