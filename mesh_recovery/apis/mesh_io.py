"""Wavefront OBJ export and import of triangle meshes (vertices and faces only)."""
import os
import os.path as osp
from typing import Tuple

import numpy as np


def _check_mesh(vertices: np.ndarray, faces: np.ndarray, where: str) -> Tuple[np.ndarray, np.ndarray]:
    vertices = np.asarray(vertices, dtype=np.float64)
    faces = np.asarray(faces)
    if vertices.ndim != 2 or vertices.shape[1] != 3:
        raise ValueError(f'{where}: vertices must have shape (V, 3), got {vertices.shape}')
    if not np.all(np.isfinite(vertices)):
        raise ValueError(f'{where}: vertices contain NaN or inf values')
    if faces.ndim != 2 or faces.shape[1] != 3 or faces.dtype.kind not in 'iu':
        raise ValueError(f'{where}: faces must be an integer array of shape (F, 3), got {faces.shape} {faces.dtype}')
    if faces.size and (faces.min() < 0 or faces.max() >= len(vertices)):
        raise ValueError(f'{where}: face indices must lie in [0, {len(vertices)}) (0-based), got '
                         f'[{faces.min()}, {faces.max()}]')
    return vertices, faces.astype(np.int64)


def save_obj(path: str, vertices: np.ndarray, faces: np.ndarray, precision: int = 6) -> str:
    """Write a triangle mesh as a Wavefront OBJ file (``v`` and ``f`` lines only).

    Args:
        path: Output ``.obj`` path; missing parent folders are created.
        vertices: ``(V, 3)`` vertex positions (metres in this project).
        faces: ``(F, 3)`` 0-based vertex indices (written 1-based, as OBJ requires).
        precision: Decimal places of the coordinates.

    Returns:
        The path written.
    """
    vertices, faces = _check_mesh(vertices, faces, path)
    parent = osp.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    with open(path, 'w', encoding='ascii') as handle:
        handle.write(f'# {len(vertices)} vertices, {len(faces)} triangles\n')
        np.savetxt(handle, vertices, fmt=f'v %.{int(precision)}f %.{int(precision)}f %.{int(precision)}f')
        np.savetxt(handle, faces + 1, fmt='f %d %d %d')
    return path


def load_obj(path: str) -> Tuple[np.ndarray, np.ndarray]:
    """Read the vertices and triangles of an OBJ file.

    Only ``v`` and ``f`` records are read; ``f`` entries may carry texture /
    normal indices (``1/2/3``), which are ignored, and negative (relative)
    indices are resolved. Polygons with more than three corners are rejected.

    Args:
        path: ``.obj`` file.

    Returns:
        ``(V, 3)`` float64 vertices and ``(F, 3)`` int64 0-based faces.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        ValueError: On a malformed ``v`` / ``f`` line (names the line number).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'OBJ file not found: {path}')
    vertices, faces = [], []
    with open(path, encoding='utf-8') as handle:
        for number, line in enumerate(handle, start=1):
            fields = line.split()
            if not fields or fields[0] not in ('v', 'f'):
                continue
            try:
                if fields[0] == 'v':
                    vertices.append([float(x) for x in fields[1:4]])
                    if len(vertices[-1]) != 3:
                        raise ValueError('a vertex needs 3 coordinates')
                else:
                    corners = [int(x.split('/')[0]) for x in fields[1:]]
                    if len(corners) != 3:
                        raise ValueError(f'only triangles are supported, got {len(corners)} corners')
                    faces.append([c - 1 if c > 0 else len(vertices) + c for c in corners])
            except ValueError as exc:
                raise ValueError(f'{path}:{number}: cannot parse {line.strip()!r}: {exc}') from None
    vertices = np.asarray(vertices, dtype=np.float64).reshape(-1, 3)
    faces = np.asarray(faces, dtype=np.int64).reshape(-1, 3)
    return _check_mesh(vertices, faces, path)
