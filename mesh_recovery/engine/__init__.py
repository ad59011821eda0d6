"""Training machinery: optimizer constructors, checkpoint loading, hooks, launch helpers.

Importing this package registers its hooks / constructors and allows the globals
of mmengine checkpoints in ``torch.load(weights_only=True)`` (see ``safe_globals``);
mmengine's own checkpoint reads become weights-only (``weights_only_loader``).
"""
from .atomic_local_backend import AtomicLocalBackend
from .checkpoint import (CheckpointMismatchError, check_state_dict, convert_mmpose_state_dict, load_checkpoint,
                         load_pretrained, read_checkpoint)
from .finite_loss_hook import FiniteLossHook
from .mesh_runner import MeshRunner
from .mesh_runtime_info_hook import MeshRuntimeInfoHook
from .multi_optim_wrapper_constructor import MultiOptimWrapperConstructor
from .progress_bar_hook import ProgressBarHook
from .resume import MeshCheckpointHook, resolve_resume_checkpoint
from .rng_state_hook import RNGStateHook
from .safe_globals import register_checkpoint_safe_globals
from .weights_only_loader import register_weights_only_loader

register_checkpoint_safe_globals()
register_weights_only_loader()

__all__ = [
    'AtomicLocalBackend', 'CheckpointMismatchError', 'FiniteLossHook', 'MeshRunner', 'MeshRuntimeInfoHook',
    'MultiOptimWrapperConstructor', 'MeshCheckpointHook', 'resolve_resume_checkpoint',
    'ProgressBarHook', 'RNGStateHook', 'check_state_dict', 'convert_mmpose_state_dict', 'load_checkpoint',
    'load_pretrained', 'read_checkpoint', 'register_checkpoint_safe_globals'
]
