"""Which way is better for each metric the project reports (read by best-checkpoint saving).

mmengine's ``CheckpointHook(save_best=...)`` infers 'greater' or 'less' from the
metric's name and stops a run at its first validation when it cannot
("Cannot infer the rule for key MPJPE-PA"). Every metric class of
``mesh_recovery.evaluation`` declares its keys here, once; the runner passes
them to the checkpoint hook.
"""
from typing import Tuple

# Errors in millimetres: lower is better.
LESS_IS_BETTER: Tuple[str, ...] = ('MPJPE', 'MPJPE-PA', 'PVE', 'PA-PVE')
# Ratios of correct keypoints: higher is better.
GREATER_IS_BETTER: Tuple[str, ...] = ('PCK', 'PA-PCK', 'AUC', 'PA-AUC')
