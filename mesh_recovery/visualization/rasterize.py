"""Vectorised z-buffer triangle rasteriser (numpy, CPU).

Triangles are grouped by the size of their screen bounding box (rounded up to a few padded
sizes); each group's candidate pixel centres form a dense ``(rows, cols, triangles)`` grid on
which the edge-function inside test is evaluated by broadcasting, without per-candidate
gathers. A scatter-min over the inside fragments resolves the z-buffer. Grids are cut into
pieces of at most ``max_fragments`` candidates (fewer triangles, or fewer rows of one huge
triangle), so triangles that are large on screen do not blow up memory.

Conventions: pixel ``(row v, col u)`` has its centre at image coordinates ``(u, v)``. A centre
exactly on an edge shared by two triangles is given to exactly one of them (a fixed
half-plane-of-directions tie rule, the analogue of the usual top-left rule), whatever the
winding of either triangle. Triangles with a vertex at ``Z <= near`` are dropped, not clipped.
"""
from typing import NamedTuple, Tuple

import numpy as np

# Pixels; far above the rounding error of the edge functions (~1e-12 px at 10^4 px).
_BOX_MARGIN = 1e-6


class Fragments(NamedTuple):
    """Result of rasterisation.

    Attributes:
        face_index: ``(H, W)`` int64 index of the visible face per pixel, ``-1`` where empty.
        depth: ``(H, W)`` float32 camera-frame ``Z`` (metres) of the visible surface, ``+inf``
            where empty.
        pixel_index: ``(K,)`` int64 flat indices (``v * W + u``) of the covered pixels.
        bary: ``(K, 3)`` float64 perspective-correct barycentric weights of the visible face's
            three vertices at each covered pixel (rows sum to 1).
    """

    face_index: np.ndarray
    depth: np.ndarray
    pixel_index: np.ndarray
    bary: np.ndarray


class _Triangles(NamedTuple):
    """Per-face data of the triangles that can cover at least one pixel centre."""

    face_id: np.ndarray  # (T,) index into the original faces
    x0: np.ndarray  # (T,) first pixel column of the bounding box
    y0: np.ndarray  # (T,) first pixel row
    box_w: np.ndarray  # (T,) bounding-box width in pixels (>= 1)
    box_h: np.ndarray  # (T,) bounding-box height in pixels (>= 1)
    coef: tuple  # [edge k opposite vertex k][A, B, C] of E = A*u + B*v + C, (T,) each
    tie: tuple  # [edge k] (T,) bool: a centre exactly on edge k belongs to this triangle
    inv_area: np.ndarray  # (T,) 1 / |2 * signed area|
    inv_z: tuple  # [vertex k] (T,) 1 / Z


class _Pieces(NamedTuple):
    """Inside fragments gathered from several grid pieces, not yet depth-resolved."""

    pixel: list
    tri: list
    depth: list
    bary: list


def _setup_triangles(uv: np.ndarray, z: np.ndarray, faces: np.ndarray, height: int, width: int,
                     near: float) -> _Triangles:
    # One 1-D array per corner throughout: fancy indexing along a trailing axis of stacked
    # arrays is several times slower.
    u, v = np.ascontiguousarray(uv[:, 0]), np.ascontiguousarray(uv[:, 1])
    usable = (z > near) & np.isfinite(u) & np.isfinite(v)
    corner = [np.ascontiguousarray(faces[:, i]) for i in range(3)]
    tu, tv = [u[c] for c in corner], [v[c] for c in corner]
    # Boxes are grown by _BOX_MARGIN: a centre within rounding error of an edge can be
    # assigned to either triangle of that edge by the tie rule, so it must be a candidate of
    # both even if the exact vertex coordinates put it just outside one box.
    x0 = np.maximum(np.ceil(np.minimum(np.minimum(tu[0], tu[1]), tu[2]) - _BOX_MARGIN), 0)
    x1 = np.minimum(np.floor(np.maximum(np.maximum(tu[0], tu[1]), tu[2]) + _BOX_MARGIN), width - 1)
    y0 = np.maximum(np.ceil(np.minimum(np.minimum(tv[0], tv[1]), tv[2]) - _BOX_MARGIN), 0)
    y1 = np.minimum(np.floor(np.maximum(np.maximum(tv[0], tv[1]), tv[2]) + _BOX_MARGIN), height - 1)
    # Boxes that hold no pixel centre (most sub-pixel triangles) are dropped here, before
    # any per-edge work.
    keep = usable[corner[0]] & usable[corner[1]] & usable[corner[2]] & (x0 <= x1) & (y0 <= y1)
    face_id = np.flatnonzero(keep)
    corner = [c[face_id] for c in corner]
    tu, tv = [u[c] for c in corner], [v[c] for c in corner]
    # Edge k runs from vertex k+1 to vertex k+2; E(p) = A*u + B*v + C vanishes on it. Swapping
    # an edge's end points negates A, B and C exactly in floating point, so a shared edge
    # evaluates to exactly opposite values in its two triangles (no cracks, no double cover).
    coef = []
    for k in range(3):
        a, b = (k + 1) % 3, (k + 2) % 3
        coef.append([tv[a] - tv[b], tu[b] - tu[a], tu[a] * tv[b] - tv[a] * tu[b]])
    area2 = coef[0][2] + coef[1][2] + coef[2][2]  # shoelace: twice the signed area
    good = (area2 != 0) & np.isfinite(area2)
    sign = np.sign(area2)
    if not good.all():
        picked = np.flatnonzero(good)
        face_id, area2, sign, corner = face_id[picked], area2[picked], sign[picked], [
            c[picked] for c in corner
        ]
        coef = [[x[picked] for x in edge] for edge in coef]
        x0, x1, y0, y1 = (b[keep][picked] for b in (x0, x1, y0, y1))
    else:
        x0, x1, y0, y1 = (b[face_id] for b in (x0, x1, y0, y1))
    coef = tuple(tuple(x * sign for x in edge) for edge in coef)
    # After normalising the orientation the edge direction is (dx, dy) = (B, -A); centres on
    # the edge are kept for one half-plane of directions, which a shared edge's two
    # triangles traverse in opposite senses.
    tie = tuple((a < 0) | ((a == 0) & (b > 0)) for a, b, _ in coef)
    return _Triangles(face_id=face_id,
                      x0=x0,
                      y0=y0,
                      box_w=(x1 - x0 + 1).astype(np.int64),
                      box_h=(y1 - y0 + 1).astype(np.int64),
                      coef=coef,
                      tie=tie,
                      inv_area=1.0 / np.abs(area2),
                      inv_z=tuple(1.0 / z[c] for c in corner))


def _padded_sizes(limit: int) -> np.ndarray:
    """1, 2, 3, 4, 6, 8, 12, 16, ...: at most 1.5x padding, few distinct grid shapes."""
    sizes = [1, 2, 3]
    while sizes[-1] < limit:
        sizes.append(sizes[-2] * 2)
    return np.array(sizes)


def _groups(tris: _Triangles, height: int, width: int):
    """Yields (triangle indices, padded box height, padded box width) per size group."""
    sizes = _padded_sizes(max(height, width))
    pad_h = np.searchsorted(sizes, tris.box_h)
    pad_w = np.searchsorted(sizes, tris.box_w)
    key = pad_h * len(sizes) + pad_w
    order = np.argsort(key, kind='stable')
    cuts = np.flatnonzero(np.diff(key[order])) + 1
    for members in np.split(order, cuts):
        if members.size:
            first = members[0]
            yield members, int(sizes[pad_h[first]]), int(sizes[pad_w[first]])


def _grid_fragments(tris: _Triangles, members: np.ndarray, rows: range, grid_w: int, width: int,
                    out: _Pieces) -> None:
    """Appends to ``out`` the inside fragments of ``members`` over box ``rows`` x grid_w."""
    # Grids are (rows, cols, triangles): the long triangle axis last keeps numpy's inner
    # loops long, which is several times faster than a short trailing pixel axis.
    col = np.arange(grid_w, dtype=np.float64)[:, None]
    row = np.arange(rows.start, rows.stop, dtype=np.float64)[:, None]
    # Padding cells beyond a triangle's own box become NaN, which fails every comparison.
    u = np.where(col < tris.box_w[members], tris.x0[members] + col, np.nan)[None]  # (1, W', T)
    v = np.where(row < tris.box_h[members], tris.y0[members] + row, np.nan)[:, None]  # (R, 1, T)
    edges = []
    for k in range(3):
        a, b, c = (x[members] for x in tris.coef[k])
        edges.append(a * u + b * v + c)  # same expression in every triangle: exact negation
    lowest = np.minimum(np.minimum(edges[0], edges[1]), edges[2])
    inside = lowest > 0
    on_edge = np.flatnonzero(lowest == 0)
    if on_edge.size:
        owner = members[on_edge % members.size]
        keep = np.ones(on_edge.size, dtype=bool)
        for k in range(3):
            keep &= (edges[k].reshape(-1)[on_edge] > 0) | tris.tie[k][owner]
        inside.reshape(-1)[on_edge[keep]] = True
    hit = np.flatnonzero(inside)
    tri = members[hit % members.size]
    # Screen-space barycentrics weighted by 1/Z give perspective-correct interpolation.
    weights = [edges[k].reshape(-1)[hit] * tris.inv_z[k][tri] for k in range(3)]
    inv_depth = weights[0] + weights[1] + weights[2]
    out.pixel.append((v * width + u).reshape(-1)[hit].astype(np.int64))
    out.tri.append(tri)
    out.depth.append(1.0 / (inv_depth * tris.inv_area[tri]))
    out.bary.append(np.stack(weights, axis=1) / inv_depth[:, None])


def _resolve(pieces: _Pieces, zbuf: np.ndarray, win_tri: np.ndarray, win_bary: np.ndarray,
             claim: np.ndarray) -> None:
    """Merges fragments into the z-buffer; nearer fragments replace earlier winners.

    ``claim`` is an all ``-1`` per-pixel scratch buffer, left all ``-1`` again.
    """
    if not pieces.pixel:
        return
    pixel, tri, depth = (np.concatenate(x) for x in pieces[:3])
    bary = np.concatenate(pieces.bary)
    np.minimum.at(zbuf, pixel, depth)
    nearest = np.flatnonzero(depth == zbuf[pixel])
    # Exact depth ties: let one fragment claim the pixel and keep only the claimant, so
    # face and barycentrics always come from the same fragment.
    claim[pixel[nearest]] = nearest
    claimed = claim[pixel[nearest]] == nearest
    claim[pixel[nearest]] = -1
    nearest = nearest[claimed]
    win_tri[pixel[nearest]] = tri[nearest]
    win_bary[pixel[nearest]] = bary[nearest]
    for part in pieces:
        part.clear()


def rasterize_triangles(uv: np.ndarray,
                        z: np.ndarray,
                        faces: np.ndarray,
                        height: int,
                        width: int,
                        near: float = 1e-3,
                        max_fragments: int = 1 << 19) -> Fragments:
    """Rasterises triangles with a z-buffer.

    Args:
        uv: ``(V, 2)`` projected vertex positions in pixels.
        z: ``(V,)`` camera-frame depth of the vertices in metres.
        faces: ``(F, 3)`` integer vertex indices (either winding).
        height: image height in pixels.
        width: image width in pixels.
        near: triangles with a vertex at ``Z <= near`` (metres) are not drawn.
        max_fragments: most candidate pixels processed at once (bounds memory).

    Returns:
        Fragments: visible face, depth and barycentric weights per covered pixel.
    """
    uv = np.asarray(uv, dtype=np.float64)
    z = np.asarray(z, dtype=np.float64)
    faces = np.asarray(faces, dtype=np.int64).reshape(-1, 3)
    tris = _setup_triangles(uv, z, faces, height, width, near)
    zbuf = np.full(height * width, np.inf)
    win_tri = np.full(height * width, -1, dtype=np.int64)
    win_bary = np.zeros((height * width, 3))
    claim = np.full(height * width, -1, dtype=np.int64)
    pieces, pending = _Pieces([], [], [], []), 0
    for members, grid_h, grid_w in _groups(tris, height, width):
        per_tri = grid_h * grid_w
        step = max(1, max_fragments // per_tri)
        rows_step = max(1, max_fragments // grid_w)
        for start in range(0, members.size, step):
            for row in range(0, grid_h, rows_step):
                rows = range(row, min(grid_h, row + rows_step))
                _grid_fragments(tris, members[start:start + step], rows, grid_w, width, pieces)
                pending += len(pieces.pixel[-1])
                if pending >= max_fragments:
                    _resolve(pieces, zbuf, win_tri, win_bary, claim)
                    pending = 0
    _resolve(pieces, zbuf, win_tri, win_bary, claim)
    pixel_index = np.flatnonzero(win_tri >= 0)
    face_index = np.full(height * width, -1, dtype=np.int64)
    face_index[pixel_index] = tris.face_id[win_tri[pixel_index]]
    return Fragments(face_index=face_index.reshape(height, width),
                     depth=zbuf.astype(np.float32).reshape(height, width),
                     pixel_index=pixel_index,
                     bary=win_bary[pixel_index])
