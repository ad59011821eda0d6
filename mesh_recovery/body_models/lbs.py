"""Functional pieces of linear blend skinning (LBS), batched and loop-free over samples.

Conventions: rotations are (..., 3, 3) matrices acting on column vectors; joint
trees are given by a parent list with -1 for the root. Vertex quantities are vertex-major
(index 3 * v + c), as in the SMPL files; see ``SMPL`` for how the pieces are chained.
"""
from typing import List, NamedTuple, Optional, Sequence, Tuple

import cv2
import torch
from torch import Tensor

from .blend_shapes import TALL_LAYOUT_MIN_BATCH, BlendShapes
from .skinning_weights import SkinningWeights


class KinematicLevels(NamedTuple):
    """A joint tree grouped by depth so forward kinematics runs one step per level.

    Attributes:
        order: joint ids sorted by depth (stable), length J.
        bounds: start of each depth level in ``order`` plus J at the end.
        parent_pos: for each position p in ``order`` (p > 0), the position of its
            parent relative to the start of the previous level; 0 for the root.
        sorted_parent: for each position in ``order``, the position of its parent in
            ``order`` (the root points at itself).
    """
    order: List[int]
    bounds: List[int]
    parent_pos: List[int]
    sorted_parent: List[int]


def kinematic_levels(parents: Sequence[int]) -> KinematicLevels:
    """Group the joints of a tree by depth.

    Args:
        parents: parent of each joint, -1 for the (single) root.

    Returns:
        KinematicLevels describing the depth-sorted tree.
    """
    parents = [int(p) for p in parents]
    depth = [0] * len(parents)
    for joint in range(len(parents)):
        node = joint
        while parents[node] >= 0:
            depth[joint] += 1
            node = parents[node]
    if depth.count(0) != 1:
        raise ValueError(f'a kinematic tree needs exactly one root (parent -1), got parents {parents}')
    order = sorted(range(len(parents)), key=lambda j: (depth[j], j))
    position = {joint: pos for pos, joint in enumerate(order)}
    bounds = [0] + [pos for pos in range(1, len(order)) if depth[order[pos]] != depth[order[pos - 1]]]
    bounds.append(len(order))
    level_start = {}
    for start in bounds[:-1]:
        level_start[depth[order[start]]] = start
    parent_pos, sorted_parent = [], []
    for pos, joint in enumerate(order):
        if parents[joint] < 0:
            parent_pos.append(0)
            sorted_parent.append(pos)
        else:
            parent_pos.append(position[parents[joint]] - level_start[depth[joint] - 1])
            sorted_parent.append(position[parents[joint]])
    return KinematicLevels(order, bounds, parent_pos, sorted_parent)


def forward_kinematics(rotmats: Tensor, rel_joints: Tensor, bounds: Sequence[int],
                       parent_pos: Tensor) -> Tuple[Tensor, Tensor]:
    """Chain local joint transforms into world transforms, one batched step per tree level.

    Args:
        rotmats: (B, J, 3, 3) local rotations, depth-sorted joint order.
        rel_joints: (B, J, 3) rest joint offsets from the parent (root: its position),
            depth-sorted.
        bounds: level boundaries (``KinematicLevels.bounds``).
        parent_pos: (J,) long, ``KinematicLevels.parent_pos`` as a tensor.

    Returns:
        Tuple of world rotations (B, J, 3, 3) and world joint positions (B, J, 3),
        depth-sorted.
    """
    rot_levels = [rotmats[:, :bounds[1]]]
    pos_levels = [rel_joints[:, :bounds[1]]]
    for start, end in zip(bounds[1:-1], bounds[2:]):
        idx = parent_pos[start:end]
        parent_rot = rot_levels[-1].index_select(1, idx)
        parent_trans = pos_levels[-1].index_select(1, idx)
        rot_levels.append(torch.matmul(parent_rot, rotmats[:, start:end]))
        offset = torch.matmul(parent_rot, rel_joints[:, start:end].unsqueeze(-1)).squeeze(-1)
        pos_levels.append(parent_trans + offset)
    return torch.cat(rot_levels, dim=1), torch.cat(pos_levels, dim=1)


def rigid_affines(world_rot: Tensor, world_pos: Tensor, rest_joints: Tensor) -> Tensor:
    """Per-joint affine maps taking rest-pose points x to ``R_j (x - J_j) + P_j``.

    Args:
        world_rot: (B, J, 3, 3) world rotations.
        world_pos: (B, J, 3) posed joint positions.
        rest_joints: (B, J, 3) rest joint positions.

    Returns:
        (B, J, 3, 4) affine matrices.
    """
    trans = world_pos - torch.matmul(world_rot, rest_joints.unsqueeze(-1)).squeeze(-1)
    return torch.cat([world_rot, trans.unsqueeze(-1)], dim=-1)


def chunk_size(batch: int, num_vertices: int, device: torch.device) -> int:
    """Vertices per chunk: on CPU the chunk's (B, 12, chunk) blended transforms stay
    near 2 MB (cache-sized); accelerators take all vertices at once."""
    if device.type != 'cpu':
        return num_vertices
    return max(256, min(num_vertices, 49152 // max(batch, 1)))


def _apply_affines(blended: Tensor, points: Tensor, out: Optional[Tensor] = None) -> Tensor:
    """(N, 3, 4, M) per-point affine maps applied to (N, 3, M) points -> (N, 3, M).

    Either layout works: (B, ., ., c) in the wide path, (c, ., ., B) in the tall one.
    Without autograd the result is written into ``out`` when given.
    """
    if _needs_grad(blended, points):
        # One multiply-and-reduce with homogeneous points: its backward is much
        # cheaper than that of the per-coordinate chain below.
        homogeneous = torch.cat([points, points.new_ones(points.shape[0], 1, points.shape[2])], dim=1)
        return (blended * homogeneous.unsqueeze(1)).sum(2)
    x, y, z = points.contiguous().unsqueeze(1).unbind(2)
    t0, t1, t2, t3 = blended.unbind(2)
    return torch.addcmul(torch.addcmul(torch.addcmul(t3, t0, x), t1, y), t2, z, out=out)


def _transpose_2d(matrix: Tensor) -> Tensor:
    """A contiguous transpose of a contiguous (M, N) CPU tensor that needs no autograd.

    OpenCV's blocked transpose is 3-4x faster than torch's strided copy for the
    (3V, B) -> (B, 3V) vertex transpose; it shares memory with the tensors.
    """
    if matrix.dtype in (torch.float32, torch.float64) and matrix.is_contiguous():
        return torch.from_numpy(cv2.transpose(matrix.numpy()))
    return matrix.t().contiguous()


def _needs_grad(*tensors: Tensor) -> bool:
    return torch.is_grad_enabled() and any(t.requires_grad for t in tensors)


def blend_and_skin(coeffs: Tensor, blend: BlendShapes, affines: Tensor,
                   skin: SkinningWeights, regressor_t: Optional[Tensor] = None,
                   output_index: Optional[Tensor] = None) -> Tuple[Tensor, Optional[Tensor]]:
    """Blend shapes, then skin, in vertex chunks; optionally regress joints on the way.

    Working chunk by chunk keeps the blended transforms (12 per vertex and
    sample) in cache, which is what makes skinning cheap on CPU at large batch;
    no (B, V, 4, 4) tensor is ever built. Each chunk blends only the joints
    that move it. Without autograd, CPU batches of ``TALL_LAYOUT_MIN_BATCH``
    or more work in the tall layout, vertices outermost and samples innermost
    (see :meth:`BlendShapes.tall`); the rest in the wide layout, samples
    outermost (its backward pass is 1.2-2x faster than the tall one's here).

    Args:
        coeffs: (B, P) blend coefficients (betas, then pose features if any).
        blend: rest template and blend directions matching ``coeffs``.
        affines: (B, J, 3, 4) from :func:`rigid_affines`.
        skin: skinning weights, same joint order as ``affines``.
        regressor_t: optional (V, K) joint regressor, transposed.
        output_index: optional (V * 3,) long: for output value ``3 * v + c``, its
            position ``c * V + u`` in the coordinate-major (3, V) result over the
            stored vertex order (``u`` is where vertex ``v`` is stored). One
            gather then both reorders the vertices and makes them vertex-major.

    Returns:
        Tuple of vertices (B, V, 3) and regressed joints (B, K, 3) (None without a
        regressor).
    """
    if (coeffs.device.type == 'cpu' and coeffs.shape[0] >= TALL_LAYOUT_MIN_BATCH
            and not _needs_grad(coeffs, affines)):
        return _blend_and_skin_tall(coeffs, blend, affines, skin, regressor_t, output_index)
    return _blend_and_skin_wide(coeffs, blend, affines, skin, regressor_t, output_index)


def _blend_and_skin_wide(coeffs: Tensor, blend: BlendShapes, affines: Tensor, skin: SkinningWeights,
                         regressor_t: Optional[Tensor],
                         output_index: Optional[Tensor]) -> Tuple[Tensor, Optional[Tensor]]:
    """:func:`blend_and_skin` with chunks of (B, 3, c) vertices."""
    batch, num_joints = affines.shape[:2]
    # Row b * 12 + 4 * i + k holds coefficient (i, k) of every joint's matrix for sample b.
    affines = affines.reshape(batch, num_joints, 12).transpose(1, 2).reshape(batch * 12, num_joints)
    chunks, joints = [], None
    # Without autograd every chunk is written straight into one (B, 3, V) result.
    stacked = None if _needs_grad(coeffs, affines) else coeffs.new_empty(batch, 3, skin.num_vertices)
    posed_chunk = blend.evaluator(coeffs)
    for chunk in skin.chunks(chunk_size(batch, skin.num_vertices, coeffs.device)):
        start, end = chunk.start, chunk.end
        v_posed = posed_chunk(start, end)  # (B, 3, c)
        chunk_affines = affines if chunk.joints is None else affines.index_select(1, chunk.joints)
        blended = torch.mm(chunk_affines, chunk.weights_t).view(batch, 3, 4, end - start)
        out = _apply_affines(blended, v_posed, None if stacked is None else stacked[:, :, start:end])
        if regressor_t is not None:
            part = torch.mm(out.reshape(batch * 3, -1), regressor_t[start:end])
            joints = part if joints is None else joints + part
        if stacked is None:
            chunks.append(out)
    if stacked is None:
        stacked = torch.cat(chunks, dim=2) if len(chunks) > 1 else chunks[0]  # (B, 3, V)
    if output_index is None:
        vertices = stacked.transpose(1, 2).contiguous()
    else:
        vertices = torch.gather(stacked.reshape(batch, -1), 1, output_index.expand(batch, -1))
        vertices = vertices.view(batch, -1, 3)
    if joints is not None:
        joints = joints.view(batch, 3, -1).transpose(1, 2).contiguous()
    return vertices, joints


def _blend_and_skin_tall(coeffs: Tensor, blend: BlendShapes, affines: Tensor, skin: SkinningWeights,
                         regressor_t: Optional[Tensor],
                         output_index: Optional[Tensor]) -> Tuple[Tensor, Optional[Tensor]]:
    """:func:`blend_and_skin` with chunks of (c, 3, B) vertices, without autograd.

    With the batch innermost, the blended rest vertices of a chunk are a plain
    slice of one product and every chunk's result a contiguous block of one
    (V, 3, B) buffer; the vertices are reordered once, by whole rows, at the end.
    """
    batch, num_joints = affines.shape[:2]
    # Row (4 * i + k) * B + b holds coefficient (i, k) of every joint's matrix for sample b.
    affines = affines.permute(2, 3, 0, 1).reshape(12 * batch, num_joints)
    v_posed = blend.tall(coeffs)  # (V, 3, B)
    joints = None
    stacked = coeffs.new_empty(skin.num_vertices, 3, batch)
    for chunk in skin.chunks(chunk_size(batch, skin.num_vertices, coeffs.device)):
        start, end = chunk.start, chunk.end
        chunk_affines = affines if chunk.joints is None else affines.index_select(1, chunk.joints)
        blended = torch.mm(chunk.weights_t.t(), chunk_affines.t()).view(end - start, 3, 4, batch)
        out = _apply_affines(blended, v_posed[start:end], stacked[start:end])
        if regressor_t is not None:
            part = torch.mm(regressor_t[start:end].t(), out.reshape(end - start, 3 * batch))
            joints = part if joints is None else joints + part
    if output_index is not None:
        stacked = stacked.index_select(0, output_index[0::3])  # position of vertex v, coordinate 0: u(v)
    vertices = _transpose_2d(stacked.view(-1, batch)).view(batch, -1, 3)
    if joints is not None:
        joints = joints.view(-1, 3, batch).permute(2, 0, 1).contiguous()
    return vertices, joints


__all__ = ['KinematicLevels', 'blend_and_skin', 'chunk_size', 'forward_kinematics',
           'kinematic_levels', 'rigid_affines']
