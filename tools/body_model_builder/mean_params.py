"""Mean parameters (``smpl_mean_params.npz`` format) for the free body model."""
from typing import Dict

import numpy as np

from mesh_recovery.conventions import SMPL_24

# 180 degrees about x: the global orientation of mmpose's smpl_mean_params.npz
# (a y-up, +z-facing body turned into the camera frame: y down, facing the camera).
GLOBAL_ORIENT = np.diag([1.0, -1.0, -1.0])
CAM = (0.9, 0.0, 0.0)


def rotmat_to_6d(rotmats: np.ndarray) -> np.ndarray:
    """Return the (..., 6) 6D form of (..., 3, 3) rotations: ``R[:, :2]`` row-major.

    This is the 6D convention of docs/conventions.md (6D rotations): ``x.view(-1, 3, 2)`` gives back the two
    first columns of ``R``.
    """
    return rotmats[..., :, :2].reshape(rotmats.shape[:-2] + (6, ))


def free_body_mean_params(num_betas: int = 10) -> Dict[str, np.ndarray]:
    """Mean params: global 180 degrees about x, identity body joints, zero betas.

    Returns:
        ``pose`` (144,), ``shape`` (num_betas,), ``cam`` (3,) float32 arrays.
    """
    rotmats = np.tile(np.eye(3), (len(SMPL_24), 1, 1))
    rotmats[0] = GLOBAL_ORIENT
    return {'pose': rotmat_to_6d(rotmats).reshape(-1).astype(np.float32),
            'shape': np.zeros(num_betas, dtype=np.float32),
            'cam': np.asarray(CAM, dtype=np.float32)}
