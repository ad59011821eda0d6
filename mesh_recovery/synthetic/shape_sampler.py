"""Random SMPL shape coefficients (betas)."""
import numpy as np


class ShapeSampler:
    """Sample betas from a clipped normal distribution.

    Each coefficient is drawn from N(0, std^2) and clipped to
    ``[-clip * std, clip * std]``. Clipping (rather than redrawing until the
    value falls inside) keeps the cost fixed and the draw count independent of
    the values, at the price of a small probability mass on the bounds
    (1.24% for ``clip=2.5``); the standard deviation shrinks slightly
    (by 1.1% for ``clip=2.5``).

    Args:
        num_betas: Number of shape coefficients per sample.
        std: Standard deviation of each coefficient before clipping (the free
            body model's and SMPL's shape spaces have unit variance).
        clip: Bound on ``|beta|``, in units of ``std``.

    Raises:
        ValueError: Non-positive ``num_betas``, ``std`` or ``clip``.
    """

    def __init__(self, num_betas: int = 10, std: float = 1.0, clip: float = 2.5) -> None:
        if int(num_betas) != num_betas or num_betas < 1:
            raise ValueError(f'num_betas is {num_betas}; expected a positive integer')
        if not (np.isfinite(std) and std > 0):
            raise ValueError(f'std is {std}; expected a finite value > 0')
        if not (np.isfinite(clip) and clip > 0):
            raise ValueError(f'clip is {clip}; expected a finite value > 0 (in units of std)')
        self.num_betas = int(num_betas)
        self.std = float(std)
        self.clip = float(clip)

    def sample(self, num: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``num`` shape vectors; the same ``rng`` state gives the same betas.

        Args:
            num: Number of samples (>= 0).
            rng: Source of randomness, e.g. ``np.random.default_rng(seed)``.

        Returns:
            (num, num_betas) float32 betas.
        """
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f'rng is a {type(rng).__name__}; expected a numpy.random.Generator '
                            '(np.random.default_rng(seed))')
        if int(num) != num or num < 0:
            raise ValueError(f'num is {num}; expected a non-negative integer')
        bound = self.clip * self.std
        betas = rng.standard_normal((int(num), self.num_betas)) * self.std
        return np.clip(betas, -bound, bound).astype(np.float32)
