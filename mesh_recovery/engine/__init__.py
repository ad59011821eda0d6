"""Training machinery: optimizer constructors, checkpoint loading, hooks, launch helpers.

Importing this package registers its hooks / constructors in the project's
registries and changes no global torch or mmengine state: checkpoint loading is
prepared by :func:`setup_checkpoint_loading`, which ``read_checkpoint`` and
``MeshRunner`` call.
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
from .checkpoint_setup import setup_checkpoint_loading
from .safe_globals import register_checkpoint_safe_globals

__all__ = [
    'AtomicLocalBackend', 'CheckpointMismatchError', 'FiniteLossHook', 'MeshRunner', 'MeshRuntimeInfoHook',
    'MultiOptimWrapperConstructor', 'MeshCheckpointHook', 'resolve_resume_checkpoint',
    'ProgressBarHook', 'RNGStateHook', 'check_state_dict', 'convert_mmpose_state_dict', 'load_checkpoint',
    'load_pretrained', 'read_checkpoint', 'register_checkpoint_safe_globals', 'setup_checkpoint_loading'
]
