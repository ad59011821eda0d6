"""Launching helpers that make mmengine's distributed path work on CPU as well as GPU.

mmengine 0.10.7 assumes CUDA when it initialises a ``pytorch`` launch
(``torch.cuda.set_device``) and when it wraps the model (``device_ids=[rank]``).
On a machine without GPUs we initialise the gloo process group ourselves before
the Runner exists (the Runner then skips its own initialisation) and wrap with
``device_ids=None``, which DDP requires for CPU modules.
"""
import os
from typing import Optional

import torch
import torch.distributed as torch_dist
from mmengine.config import Config

LAUNCHERS = ('none', 'pytorch', 'slurm')


def default_backend() -> str:
    """Return ``'nccl'`` when CUDA devices are present, else ``'gloo'``."""
    return 'nccl' if torch.cuda.is_available() else 'gloo'


def _env_int(name: str) -> int:
    try:
        return int(os.environ[name])
    except KeyError as exc:
        raise RuntimeError(
            f'environment variable {name} is not set; launch with torchrun '
            f'(tools/dist_train.sh) or pass --launcher none') from exc


def init_cpu_distributed(launcher: str, timeout_s: int = 1800) -> bool:
    """Initialise a gloo process group for a CPU-only ``pytorch``/``slurm`` launch.

    Args:
        launcher: One of ``none``, ``pytorch``, ``slurm``.
        timeout_s: Collective timeout in seconds.

    Returns:
        True when this call created the process group; False when there is
        nothing to do (single process, GPUs present so mmengine initialises
        NCCL itself, or already initialised).
    """
    if launcher not in LAUNCHERS:
        raise ValueError(f'--launcher must be one of {LAUNCHERS}, got {launcher!r}')
    if launcher == 'none' or torch.cuda.is_available() or torch_dist.is_initialized():
        return False
    if launcher == 'slurm':
        # Translate Slurm's variables into the torchrun ones gloo reads.
        os.environ.setdefault('RANK', os.environ.get('SLURM_PROCID', '0'))
        os.environ.setdefault('WORLD_SIZE', os.environ.get('SLURM_NTASKS', '1'))
        os.environ.setdefault('LOCAL_RANK', os.environ.get('SLURM_LOCALID', '0'))
        os.environ.setdefault('MASTER_PORT', '29500')
        os.environ.setdefault('MASTER_ADDR', '127.0.0.1')
    import datetime
    torch_dist.init_process_group(
        backend='gloo',
        rank=_env_int('RANK'),
        world_size=_env_int('WORLD_SIZE'),
        timeout=datetime.timedelta(seconds=timeout_s))
    return True


def configure_launch(cfg: Config, launcher: str) -> None:
    """Set ``cfg.launcher``, the backend and the model wrapper for ``launcher``.

    The GAN-style estimator steps its optimisers separately, so it is wrapped
    with ``MMSeparateDistributedDataParallel`` (one DDP per sub-module);
    on CPU the wrapper must not pass CUDA device ids.
    """
    cfg.launcher = launcher
    if launcher == 'none':
        return
    env_cfg = cfg.setdefault('env_cfg', {})
    dist_cfg = env_cfg.setdefault('dist_cfg', {})
    dist_cfg['backend'] = default_backend()
    wrapper: Optional[dict] = cfg.get('model_wrapper_cfg', None)
    if wrapper is None:
        # Broadcast buffers so every rank uses rank 0's BatchNorm statistics.
        wrapper = dict(type='MMSeparateDistributedDataParallel', broadcast_buffers=True)
    if not torch.cuda.is_available():
        wrapper = dict(wrapper, device_ids=None)
    cfg.model_wrapper_cfg = wrapper
