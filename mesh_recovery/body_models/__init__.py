"""Body models: safe loading of SMPL-format files and a pure-torch SMPL layer."""
from .io import (GENDERS, BodyModelData, UnsafePickleError, load_body_model_data, load_joints_regressor,
                 resolve_body_model_path)
from .smpl import SMPL, SMPLOutput

__all__ = [
    'GENDERS', 'BodyModelData', 'SMPL', 'SMPLOutput', 'UnsafePickleError', 'load_body_model_data',
    'load_joints_regressor', 'resolve_body_model_path'
]
