"""PCA shape space with unit-variance directions, as SMPL's ``shapedirs``."""
from typing import NamedTuple

import numpy as np


class ShapeSpace(NamedTuple):
    """A linear shape space ``v = v_template + shapedirs @ betas``.

    Attributes:
        v_template: (V, 3) mean shape.
        shapedirs: (V, 3, K) directions scaled by their standard deviation, so
            the sampled population has betas ~ N(0, I).
        variance_explained: (K,) fraction of the total vertex variance each
            direction explains.
        betas: (S, K) betas of the sampled shapes.
    """
    v_template: np.ndarray
    shapedirs: np.ndarray
    variance_explained: np.ndarray
    betas: np.ndarray


def fit_shape_space(vertices: np.ndarray, num_betas: int = 10) -> ShapeSpace:
    """Fit a PCA shape space to sampled shapes.

    The sign of each direction is fixed so that it moves vertices away from
    the template's centroid on average (positive betas grow the body along
    that direction), which makes the result independent of the solver's sign.

    Args:
        vertices: (S, V, 3) aligned shapes, S > num_betas.
        num_betas: Number of directions K.

    Raises:
        ValueError: Fewer samples than ``num_betas + 1``.
    """
    num_samples, num_vertices, _ = vertices.shape
    if num_samples <= num_betas:
        raise ValueError(f'{num_samples} shapes cannot give {num_betas} shape directions; '
                         f'sample at least {num_betas + 1}')
    flat = vertices.reshape(num_samples, -1)
    mean = flat.mean(axis=0)
    centred = flat - mean
    gram = centred @ centred.T
    eigenvalues, eigenvectors = np.linalg.eigh(gram)
    order = np.argsort(-eigenvalues, kind='stable')[:num_betas]
    eigenvalues, eigenvectors = eigenvalues[order], eigenvectors[:, order]
    # Column k of directions = principal axis k times its standard deviation.
    directions = centred.T @ eigenvectors / np.sqrt(num_samples - 1)
    template = mean.reshape(num_vertices, 3)
    outward = (template - template.mean(axis=0)).reshape(-1)
    signs = np.where(outward @ directions < 0, -1.0, 1.0)
    directions *= signs
    betas = eigenvectors * signs * np.sqrt(num_samples - 1)
    total = np.einsum('sd,sd->', centred, centred)
    return ShapeSpace(v_template=template,
                      shapedirs=directions.reshape(num_vertices, 3, num_betas),
                      variance_explained=eigenvalues / total,
                      betas=betas)
