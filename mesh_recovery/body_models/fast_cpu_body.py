"""The CPU fast path of the SMPL forward pass, for large batches (any batch of a body without
pose blend shapes), with or without autograd.

It computes exactly what :func:`mesh_recovery.body_models.lbs.lbs` computes
(the reference, used for everything else), rearranged for a 2-core CPU:

- joint terms are linear in betas, so rest joints and their offsets from the
  parent are precomputed per beta (no (J, V) regression per call);
- forward kinematics runs one batched step per tree depth level, not per joint;
- the tall layout: vertices outermost, samples innermost. Shape and pose blend
  shapes are one (3V, P + 1) x (P + 1, B) product with the template as an extra
  column, run on torch's oneDNN linear kernel (~30% faster than MKL on the
  development machine's AMD CPU; MKL when oneDNN is missing or disabled);
- vertices are stored grouped by the joints that move them and skinned in
  cache-sized chunks, each multiplying only by the joints with non-zero weight
  in it (about 6 of SMPL's 24); every chunk writes into one (V, 3, B) buffer;
- the result is put back in file order by whole rows and transposed to
  (B, V, 3) by OpenCV's blocked transpose (3-4x faster than torch's copy).

With autograd the same layout and chunks run in differentiable torch ops
(:meth:`FastCPUBody._blend_and_skin_autograd`): MKL instead of oneDNN, a
multiply-and-reduce instead of in-place ``addcmul``, and a custom backward for
the reorder and transpose (the inverse permutation and transpose, where
``index_select``'s own backward scatters: 20 ms at B = 64).

:class:`~mesh_recovery.body_models.SMPL` takes it when built with
``fast_cpu=True`` (the default) and :func:`uses_fast_cpu_path` holds.
Figures: ``docs/benchmarks.md`` (SMPL layer).
"""
import functools
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
from torch import Tensor

# The one batch threshold: CPU batches of this size or more take the fast path. For a body
# with pose blend shapes the tall product loses to the plain one below it: at batch 2 forward
# (oneDNN's tall product is slower than torch.mm with two columns) and at batches 1-3
# forward + backward; from 4 up it wins both ways, 1.15-1.5x (docs/benchmarks.md, SMPL
# crossover on a Zen 4).
# A body without them (the free body model) skips that product, and the fast path wins from
# batch 1 up, forward and backward (same page), so it always takes it.
FAST_CPU_MIN_BATCH = 4


def uses_fast_cpu_path(betas: Tensor, has_posedirs: bool) -> bool:
    """Whether a forward pass on these inputs qualifies for the fast path (with or without autograd).

    Args:
        betas: (B, S) shape coefficients of the call.
        has_posedirs: whether the body model has (non-zero) pose blend shapes.
    """
    min_batch = FAST_CPU_MIN_BATCH if has_posedirs else 1
    return betas.device.type == 'cpu' and betas.shape[0] >= min_batch


def onednn_gemm_available() -> bool:
    """Whether torch's oneDNN linear kernel is enabled, runs here and matches ``torch.mm``.

    It is a private torch op (the one torch.compile uses for CPU linear layers),
    so it is probed once per process; ``torch.backends.mkldnn.enabled = False``
    is checked on every call.
    """
    return bool(torch.backends.mkldnn.enabled) and _onednn_gemm_works()


@functools.lru_cache(maxsize=None)
def _onednn_gemm_works() -> bool:
    if not torch.backends.mkldnn.is_available():
        return False
    try:
        gen = torch.Generator().manual_seed(0)
        left, right = torch.randn(37, 11, generator=gen), torch.randn(5, 11, generator=gen)
        result = torch.ops.mkldnn._linear_pointwise(left, right, None, 'none', [], '')
        return bool(torch.allclose(result, left @ right.t(), rtol=1e-5, atol=1e-5))
    except (AttributeError, RuntimeError, NotImplementedError):
        return False


class _Levels(NamedTuple):
    """A joint tree sorted by depth: ``order`` (J,), level ``bounds`` (+ J at the end),
    ``parent_pos`` (parent's position relative to the previous level's start, 0 for the
    root) and ``sorted_parent`` (parent's position in ``order``; the root points at itself)."""
    order: List[int]
    bounds: List[int]
    parent_pos: List[int]
    sorted_parent: List[int]


def _kinematic_levels(parents: Sequence[int]) -> _Levels:
    parents = [int(p) for p in parents]
    depth = [0] * len(parents)
    for joint in range(len(parents)):
        node = joint
        while parents[node] >= 0:
            depth[joint], node = depth[joint] + 1, parents[node]
    order = sorted(range(len(parents)), key=lambda j: (depth[j], j))
    position = {joint: pos for pos, joint in enumerate(order)}
    bounds = [0] + [p for p in range(1, len(order)) if depth[order[p]] != depth[order[p - 1]]] + [len(order)]
    level_start = {depth[order[start]]: start for start in bounds[:-1]}
    parent_pos, sorted_parent = [], []
    for pos, joint in enumerate(order):
        root = parents[joint] < 0
        parent_pos.append(0 if root else position[parents[joint]] - level_start[depth[joint] - 1])
        sorted_parent.append(pos if root else position[parents[joint]])
    return _Levels(order, bounds, parent_pos, sorted_parent)


def skinning_vertex_order(weights: np.ndarray) -> np.ndarray:
    """(V,) vertex ids sorted by strongest, then second-strongest joint of (V, J) ``weights``,
    so that consecutive vertices depend on few joints (SMPL moves each vertex by at most four
    neighbouring joints of the tree)."""
    ranked = np.argsort(-weights, axis=1, kind='stable')
    second = ranked[:, 1] if weights.shape[1] > 1 else np.zeros(len(weights), dtype=np.int64)
    return np.lexsort((second, ranked[:, 0]))


class _SkinChunk(NamedTuple):
    """Vertices ``start:end``, the (Jc,) joints with non-zero weight on them (None: all)
    and their (Jc, end - start) weights. Dropping all-zero rows changes no result."""
    start: int
    end: int
    joints: Optional[Tensor]
    weights_t: Tensor


def _sparse_chunks(weights_t: Tensor, step: int) -> List[_SkinChunk]:
    chunks = []
    for start in range(0, weights_t.shape[1], step):
        part = weights_t[:, start:start + step]
        used = part.ne(0).any(1)
        joints = None if bool(used.all()) else used.nonzero().squeeze(1)
        weights = part if joints is None else part.index_select(0, joints).contiguous()
        chunks.append(_SkinChunk(start, start + part.shape[1], joints, weights))
    return chunks


def chunk_size(batch: int, num_vertices: int) -> int:
    """Vertices per chunk: the chunk's (c, 12, B) blended transforms stay near 2 MB (cache-sized)."""
    return max(256, min(num_vertices, 49152 // max(batch, 1)))


def _transpose_2d(matrix: Tensor) -> Tensor:
    """A contiguous transpose of a contiguous (M, N) CPU tensor, by OpenCV's blocked transpose."""
    if matrix.dtype in (torch.float32, torch.float64) and matrix.is_contiguous():
        return torch.from_numpy(cv2.transpose(matrix.numpy()))
    return matrix.t().contiguous()


def _numpy64(value: Tensor) -> np.ndarray:
    return value.detach().cpu().double().numpy()


class _StoredToFileOrder(torch.autograd.Function):
    """(V, 3, B) vertices in stored order -> (B, V, 3) in file order: a row gather and OpenCV's
    blocked transpose. The backward undoes both the same way (the gradient of a permutation is
    the inverse permutation), where torch's own backward of ``index_select`` scatters."""

    @staticmethod
    def forward(ctx, stacked: Tensor, unorder: Tensor, order: Tensor) -> Tensor:
        ctx.save_for_backward(order)
        batch = stacked.shape[2]
        return _transpose_2d(stacked.index_select(0, unorder).view(-1, batch)).view(batch, -1, 3)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad: Tensor) -> Tuple[Tensor, None, None]:
        (order, ) = ctx.saved_tensors
        batch = grad.shape[0]
        rows = _transpose_2d(grad.contiguous().view(batch, -1)).view(-1, 3, batch)
        return rows.index_select(0, order), None, None


class FastCPUBody:
    """One body model laid out for the fast path, in one dtype; CPU tensors.

    Args:
        v_template: (V, 3) rest template. shapedirs: (V, 3, S). posedirs: (9 * (J - 1), 3V)
            or None. j_regressor: (J, V). lbs_weights: (V, J). All as for
            :func:`~mesh_recovery.body_models.lbs.lbs`.
        parents: (J,) parent of each joint, -1 for the root.
        regressor: optional (K, V) joint regressor applied to the posed vertices.
        dtype: floating dtype of the computation.
    """

    def __init__(self, v_template: Tensor, shapedirs: Tensor, posedirs: Optional[Tensor], j_regressor: Tensor,
                 lbs_weights: Tensor, parents: Sequence[int], regressor: Optional[Tensor] = None,
                 dtype: torch.dtype = torch.float32) -> None:
        template, shape, j_reg, weights = (_numpy64(t) for t in (v_template, shapedirs, j_regressor, lbs_weights))
        num_verts, num_betas = shape.shape[0], shape.shape[2]
        levels = _kinematic_levels(parents)
        order, joint_order, sorted_parent = skinning_vertex_order(weights), levels.order, levels.sorted_parent
        # (3V, P + 1), rows 3 * u + c over the stored vertex order u: directions, then the template.
        columns = [shape[order].reshape(3 * num_verts, num_betas)]
        if posedirs is not None:
            columns.append(_numpy64(posedirs).reshape(-1, num_verts, 3)[:, order].reshape(-1, 3 * num_verts).T)
        columns.append(template[order].reshape(-1, 1))
        # Joints are linear in betas: rest joints and offsets from the parent, depth-sorted.
        joints_t, joints_d = j_reg @ template, np.einsum('jv,vcs->sjc', j_reg, shape)  # (J, 3), (S, J, 3)
        not_root = np.array([p != i for i, p in enumerate(sorted_parent)], dtype=np.float64)[:, None]
        rel_t = joints_t[joint_order] - joints_t[joint_order][sorted_parent] * not_root
        rel_d = joints_d[:, joint_order] - joints_d[:, joint_order][:, sorted_parent] * not_root
        arrays = {
            'tall': np.concatenate(columns, axis=1),
            'joint_template': np.concatenate([joints_t[joint_order], rel_t]).reshape(-1),
            'joint_dirs': np.concatenate([joints_d[:, joint_order], rel_d], axis=1).reshape(num_betas, -1),
            'weights_t': weights[order].T[joint_order],
            'regressor_t': None if regressor is None else _numpy64(regressor)[:, order].T,
        }
        self.tensors = {k: None if v is None else torch.from_numpy(np.ascontiguousarray(v)).to(dtype)
                        for k, v in arrays.items()}
        self.has_posedirs = posedirs is not None
        self.bounds = levels.bounds
        self.fk_order = torch.tensor(joint_order, dtype=torch.long)
        self.fk_parent_pos = torch.tensor(levels.parent_pos, dtype=torch.long)
        self.fk_unsort = torch.argsort(self.fk_order)
        self.order = torch.from_numpy(order)  # file vertex of each stored row
        self.unorder = torch.from_numpy(np.argsort(order))  # stored row of each file vertex
        self._chunks: Dict[int, List[_SkinChunk]] = {}

    def __call__(self, betas: Tensor, rotmats: Tensor) -> Tuple[Tensor, Tensor, Optional[Tensor]]:
        """Vertices (B, V, 3), joints (B, J, 3) in file order and regressed joints (B, K, 3) or None,
        for (B, S) ``betas`` and (B, J, 3, 3) ``rotmats`` (file joint order).

        With autograd (inputs that require grad) blending and skinning run in
        differentiable ops (:meth:`_blend_and_skin_autograd`), otherwise without a graph.
        """
        if torch.is_grad_enabled() and (betas.requires_grad or rotmats.requires_grad):
            return self._pose(betas, rotmats, self._blend_and_skin_autograd)
        with torch.no_grad():
            return self._pose(betas, rotmats, self._blend_and_skin)

    def _pose(self, betas: Tensor, rotmats: Tensor,
              blend_and_skin: Callable[[Tensor, Tensor], Tuple[Tensor, Optional[Tensor]]]
              ) -> Tuple[Tensor, Tensor, Optional[Tensor]]:
        """:meth:`__call__` with the given blending and skinning step."""
        batch, num_joints = rotmats.shape[:2]
        coeffs = betas
        if self.has_posedirs:
            eye = torch.eye(3, dtype=rotmats.dtype)
            coeffs = torch.cat([betas, (rotmats[:, 1:] - eye).reshape(batch, -1)], dim=1)
        joints = torch.addmm(self.tensors['joint_template'], betas, self.tensors['joint_dirs'])
        rest_joints, rel_joints = joints.view(batch, 2, num_joints, 3).unbind(1)
        world_rot, world_pos = self._forward_kinematics(rotmats.index_select(1, self.fk_order), rel_joints)
        translation = world_pos - torch.matmul(world_rot, rest_joints.unsqueeze(-1)).squeeze(-1)
        affines = torch.cat([world_rot, translation.unsqueeze(-1)], dim=-1)  # (B, J, 3, 4)
        vertices, joints_reg = blend_and_skin(coeffs, affines)
        return vertices, world_pos.index_select(1, self.fk_unsort), joints_reg

    def _forward_kinematics(self, rotmats: Tensor, rel_joints: Tensor) -> Tuple[Tensor, Tensor]:
        """World rotations (B, J, 3, 3) and positions (B, J, 3), one batched step per depth level."""
        bounds = self.bounds
        rot_levels, pos_levels = [rotmats[:, :bounds[1]]], [rel_joints[:, :bounds[1]]]
        for start, end in zip(bounds[1:-1], bounds[2:]):
            idx = self.fk_parent_pos[start:end]
            parent_rot, parent_pos = rot_levels[-1].index_select(1, idx), pos_levels[-1].index_select(1, idx)
            rot_levels.append(torch.matmul(parent_rot, rotmats[:, start:end]))
            offset = torch.matmul(parent_rot, rel_joints[:, start:end].unsqueeze(-1)).squeeze(-1)
            pos_levels.append(parent_pos + offset)
        return torch.cat(rot_levels, dim=1), torch.cat(pos_levels, dim=1)

    def _blend(self, coeffs: Tensor) -> Tensor:
        """(V, 3, B) blended rest vertices (stored order), in one tall product."""
        tall, coeffs_1 = self.tensors['tall'], torch.cat([coeffs, coeffs.new_ones(coeffs.shape[0], 1)], dim=1)
        if coeffs.dtype == torch.float32 and onednn_gemm_available():
            posed = torch.ops.mkldnn._linear_pointwise(tall, coeffs_1, None, 'none', [], '')
        else:
            posed = torch.mm(tall, coeffs_1.t())
        return posed.view(-1, 3, coeffs.shape[0])

    def chunks(self, batch: int) -> List[_SkinChunk]:
        """The sparse skinning chunks for this batch size (cached per chunk size)."""
        step = chunk_size(batch, self.tensors['weights_t'].shape[1])
        if step not in self._chunks:
            self._chunks[step] = _sparse_chunks(self.tensors['weights_t'], step)
        return self._chunks[step]

    def _blend_and_skin(self, coeffs: Tensor, affines: Tensor) -> Tuple[Tensor, Optional[Tensor]]:
        """Blend shapes, then skin chunk by chunk into one (V, 3, B) buffer; regress joints on the way."""
        batch, num_joints = affines.shape[:2]
        # Row (4 * i + k) * B + b holds coefficient (i, k) of every joint's matrix for sample b.
        affines = affines.permute(2, 3, 0, 1).reshape(12 * batch, num_joints)
        v_posed, regressor_t = self._blend(coeffs), self.tensors['regressor_t']
        stacked, joints = coeffs.new_empty(v_posed.shape), None
        for chunk in self.chunks(batch):
            start, end = chunk.start, chunk.end
            chunk_affines = affines if chunk.joints is None else affines.index_select(1, chunk.joints)
            blended = torch.mm(chunk.weights_t.t(), chunk_affines.t()).view(end - start, 3, 4, batch)
            x, y, z = v_posed[start:end].unsqueeze(1).unbind(2)  # (c, 1, B) each
            t0, t1, t2, t3 = blended.unbind(2)  # (c, 3, B) each
            out = torch.addcmul(torch.addcmul(torch.addcmul(t3, t0, x), t1, y), t2, z, out=stacked[start:end])
            if regressor_t is not None:
                part = torch.mm(regressor_t[start:end].t(), out.reshape(end - start, 3 * batch))
                joints = part if joints is None else joints + part
        vertices = _StoredToFileOrder.apply(stacked, self.unorder, self.order)
        if joints is not None:
            joints = joints.view(-1, 3, batch).permute(2, 0, 1).contiguous()
        return vertices, joints


    def _blend_and_skin_autograd(self, coeffs: Tensor, affines: Tensor) -> Tuple[Tensor, Optional[Tensor]]:
        """:meth:`_blend_and_skin` with autograd: the same tall layout and sparse chunks, in ops
        that have a backward (no ``out=``, no oneDNN or OpenCV calls).

        Each chunk blends its own rows of the tall directions and the chunks are joined
        by ``cat`` along the vertices, so the backward pass only takes views of the
        incoming gradient (no zero-filled full-size slice gradients); the joint maps are
        applied as one multiply-and-reduce with homogeneous points, whose backward is
        cheaper than that of the ``addcmul`` chain; the reorder is a row gather.
        """
        batch, num_joints = affines.shape[:2]
        affines = affines.permute(2, 3, 0, 1).reshape(12 * batch, num_joints)
        tall, regressor_t = self.tensors['tall'], self.tensors['regressor_t']
        coeffs_t = torch.cat([coeffs, coeffs.new_ones(batch, 1)], dim=1).t()
        parts, joints = [], None
        for chunk in self.chunks(batch):
            start, end = chunk.start, chunk.end
            v_posed = torch.mm(tall[3 * start:3 * end], coeffs_t).view(end - start, 3, batch)
            homogeneous = torch.cat([v_posed, v_posed.new_ones(end - start, 1, batch)], dim=1)  # (c, 4, B)
            chunk_affines = affines if chunk.joints is None else affines.index_select(1, chunk.joints)
            blended = torch.mm(chunk.weights_t.t(), chunk_affines.t()).view(end - start, 3, 4, batch)
            out = (blended * homogeneous.unsqueeze(1)).sum(2)  # (c, 3, B)
            if regressor_t is not None:
                part = torch.mm(regressor_t[start:end].t(), out.reshape(end - start, 3 * batch))
                joints = part if joints is None else joints + part
            parts.append(out)
        vertices = _StoredToFileOrder.apply(torch.cat(parts), self.unorder, self.order)
        if joints is not None:
            joints = joints.view(-1, 3, batch).permute(2, 0, 1).contiguous()
        return vertices, joints

__all__ = ['FAST_CPU_MIN_BATCH', 'FastCPUBody', 'chunk_size', 'onednn_gemm_available', 'skinning_vertex_order',
           'uses_fast_cpu_path']
