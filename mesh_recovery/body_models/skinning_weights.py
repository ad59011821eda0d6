"""Skinning weights split into vertex chunks that keep only the joints moving them."""
from typing import Dict, List, NamedTuple, Optional

import numpy as np
import torch
from torch import Tensor


class SkinChunk(NamedTuple):
    """Vertices ``start:end`` and the joints with a non-zero weight on any of them.

    Attributes:
        start: first vertex of the chunk.
        end: one past its last vertex.
        joints: (Jc,) long ids of those joints, or None when all joints are used.
        weights_t: (Jc, end - start) their weights (all J rows when ``joints`` is None).
    """
    start: int
    end: int
    joints: Optional[Tensor]
    weights_t: Tensor


def skinning_vertex_order(weights: np.ndarray) -> np.ndarray:
    """A vertex order that puts vertices moved by the same joints next to each other.

    Sorting by strongest, then second-strongest joint makes each chunk of
    consecutive vertices depend on a few joints (SMPL lets at most four joints
    move a vertex, neighbours in the tree), so blending the joint transforms per
    chunk multiplies by a (Jc, c) block instead of all J rows.

    Args:
        weights: (V, J) skinning weights.

    Returns:
        (V,) vertex ids in the new order.
    """
    ranked = np.argsort(-weights, axis=1, kind='stable')
    second = ranked[:, 1] if weights.shape[1] > 1 else np.zeros(len(weights), dtype=np.int64)
    return np.lexsort((second, ranked[:, 0]))


class SkinningWeights:
    """(J, V) skinning weights with per-chunk-size lists of sparse chunks.

    Dropping a joint whose weights are exactly zero on every vertex of a chunk
    leaves the skinned vertices unchanged, so the chunks are an exact,
    cheaper form of the dense (B * 12, J) x (J, c) product.

    Args:
        weights_t: (J, V) skinning weights.
    """

    def __init__(self, weights_t: Tensor) -> None:
        self.weights_t = weights_t
        self.num_vertices = weights_t.shape[1]
        self._chunks: Dict[int, List[SkinChunk]] = {}

    def chunks(self, step: int) -> List[SkinChunk]:
        """The vertices in chunks of ``step`` (the last one may be shorter); cached per step."""
        if step not in self._chunks:
            self._chunks[step] = [self._chunk(start, min(self.num_vertices, start + step))
                                  for start in range(0, self.num_vertices, step)]
        return self._chunks[step]

    def _chunk(self, start: int, end: int) -> SkinChunk:
        part = self.weights_t[:, start:end]
        used = part.ne(0).any(1)
        if bool(used.all()):
            return SkinChunk(start, end, None, part)
        joints = used.nonzero().squeeze(1)
        return SkinChunk(start, end, joints, part.index_select(0, joints).contiguous())


__all__ = ['SkinChunk', 'SkinningWeights', 'skinning_vertex_order']
