"""Random box scale and in-plane rotation for the affine crop."""
from typing import Optional

import numpy as np

from mesh_recovery.registry import TRANSFORMS

from .randomness import SeededRandomTransform


@TRANSFORMS.register_module()
class MeshGetRandomScaleRotation(SeededRandomTransform):
    """Draw the crop's scale factor and rotation (mmpose 0.x semantics).

    ``s = clip(N(0, 1) * scale_factor + 1, 1 - scale_factor, 1 + scale_factor)``
    multiplies ``scale``; with probability ``rot_prob`` the rotation is
    ``clip(N(0, 1) * rot_factor, -2 rot_factor, 2 rot_factor)`` degrees, else 0.
    :class:`MeshAffine` applies both.

    Required keys: ``scale`` ().
    Modified keys: ``scale``.
    Added keys: ``rotation`` () degrees.

    Args:
        rot_factor: Rotation standard deviation, degrees (mmpose: 30).
        scale_factor: Scale standard deviation (mmpose: 0.25).
        rot_prob: Probability of rotating (mmpose: 0.6).
        seed: Fallback seed (see :mod:`.randomness`).
    """

    def __init__(self, rot_factor: float = 30.0, scale_factor: float = 0.25, rot_prob: float = 0.6,
                 seed: Optional[int] = None) -> None:
        super().__init__(seed)
        if rot_factor < 0 or not 0 <= scale_factor < 1 or not 0 <= rot_prob <= 1:
            raise ValueError(f'need rot_factor >= 0, 0 <= scale_factor < 1, 0 <= rot_prob <= 1; got '
                             f'{rot_factor}, {scale_factor}, {rot_prob}')
        self.rot_factor = float(rot_factor)
        self.scale_factor = float(scale_factor)
        self.rot_prob = float(rot_prob)

    def transform(self, results: dict) -> dict:
        rng = self.rng(results)
        # Draw all three numbers every time so each stream position means the same thing.
        scale_noise, rot_noise, rot_draw = rng.standard_normal(), rng.standard_normal(), rng.random()
        sf, rf = self.scale_factor, self.rot_factor
        # Python min/max: np.clip costs ~4 us per scalar call.
        factor = min(max(scale_noise * sf + 1, 1 - sf), 1 + sf)
        rotation = min(max(rot_noise * rf, -2 * rf), 2 * rf) if rot_draw < self.rot_prob else 0.0
        results['scale'] = np.float32(results['scale'] * factor)
        results['rotation'] = np.float32(rotation)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(rot_factor={self.rot_factor}, scale_factor={self.scale_factor}, '
                f'rot_prob={self.rot_prob}, seed={self.seed})')
