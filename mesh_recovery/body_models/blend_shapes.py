"""Rest template plus linear blend directions, evaluated one vertex chunk at a time."""
from typing import Callable, Optional

import torch
from torch import Tensor

# From this batch size on, CPU blend products use the tall (3V, P) layout (see BlendShapes).
TALL_LAYOUT_MIN_BATCH = 32


class BlendShapes:
    """``template + coeffs @ blend_dirs`` for chunks of vertices.

    On CPU the product runs fastest as (B, P) x (P, 3c) for small batches but
    as (3c, P) x (P, B) from about 32 samples on (about 20% faster at B = 64 on
    the development machine, with the same result up to float rounding), so
    the tall copy of the directions is made on first use by such a batch.
    Other devices always use the (P, 3V) layout.

    Args:
        template: (V * 3,) rest template, vertex-major.
        blend_dirs: (P, V * 3) blend directions, vertex-major.
    """

    def __init__(self, template: Tensor, blend_dirs: Tensor) -> None:
        self.template = template
        self.blend_dirs = blend_dirs
        self._tall: Optional[Tensor] = None

    def evaluator(self, coeffs: Tensor) -> Callable[[int, int], Tensor]:
        """A function of ``(start, end)`` giving the (B, 3, end - start) blended rest
        vertices ``start:end`` for the (B, P) coefficients ``coeffs``."""
        batch = coeffs.shape[0]
        if coeffs.device.type == 'cpu' and batch >= TALL_LAYOUT_MIN_BATCH:
            if self._tall is None:
                self._tall = self.blend_dirs.t().contiguous()
            tall, coeffs_t, column = self._tall, coeffs.t().contiguous(), self.template.unsqueeze(1)

            def tall_chunk(start: int, end: int) -> Tensor:
                posed = torch.addmm(column[3 * start:3 * end], tall[3 * start:3 * end], coeffs_t)
                return posed.view(end - start, 3, batch).permute(2, 1, 0)

            return tall_chunk

        def wide_chunk(start: int, end: int) -> Tensor:
            posed = torch.addmm(self.template[3 * start:3 * end], coeffs, self.blend_dirs[:, 3 * start:3 * end])
            return posed.view(batch, end - start, 3).transpose(1, 2)

        return wide_chunk


__all__ = ['BlendShapes', 'TALL_LAYOUT_MIN_BATCH']
