"""Helpers shared by the model benchmarks (``bench_models``, ``bench_train_step``, ``bench_train_throughput``).

Configs are built as written, except that the body model falls back to the shipped
free body model when the config's SMPL files are absent; synthetic batches carry
every key the training losses read (CLIFF's box information included).
"""
import sys
import time
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import torch

ROOT = Path(__file__).resolve().parents[1]
# Runnable from a source checkout without installing the package.
sys.path.insert(0, str(ROOT))
from mmengine.config import Config  # noqa: E402

from mesh_recovery.registry import MODELS  # noqa: E402

FREE_BODY = ROOT / 'models' / 'free_body'
MEAN = [123.675, 116.28, 103.53]
STD = [58.395, 57.12, 57.375]


def config_paths(names: Sequence[str] = (), under: str = 'configs') -> List[Path]:
    """Config files below ``ROOT / under`` (``_base_`` snippets excluded), optionally only those
    whose file name contains one of ``names``."""
    paths = sorted(p for p in (ROOT / under).rglob('*.py') if '_base_' not in p.parts)
    if names:
        paths = [p for p in paths if any(name in p.name for name in names)]
        if not paths:
            raise SystemExit(f'no config under {ROOT / under} matches {list(names)}; '
                             'pass part of a file name, e.g. --configs hmr_resnet_50')
    return paths


def load_config(path: Path) -> Config:
    """The config, with the free body model in place of SMPL files that are not on this machine
    and its model files as absolute paths (the benchmarks run from any directory)."""
    cfg = Config.fromfile(str(path))
    smpl, head = cfg.model.smpl, cfg.model.mesh_head
    if (ROOT / smpl.smpl_path).exists():
        smpl.smpl_path = str(ROOT / smpl.smpl_path)
        if smpl.get('joints_regressor'):
            smpl.joints_regressor = str(ROOT / smpl.joints_regressor)
        if head.get('smpl_mean_params'):
            head.smpl_mean_params = str(ROOT / head.smpl_mean_params)
    else:
        smpl.smpl_path = str(FREE_BODY / 'body_model.npz')
        smpl.joints_regressor = str(FREE_BODY / 'joints_regressor_spin24.npy')
        head.smpl_mean_params = str(FREE_BODY / 'mean_params.npz')
    return cfg


def unique_configs(paths: Sequence[Path]) -> Iterator[Tuple[Path, Config, Optional[str]]]:
    """``(path, config, None)`` per config, or ``(path, config, name)`` when a config named ``name``
    came earlier with the same model and optimizers (configs that differ only in data)."""
    seen: Dict[str, str] = {}
    for path in paths:
        cfg = load_config(path)
        key = repr((cfg.model.to_dict(), cfg.get('optim_wrapper')))
        yield path, cfg, seen.get(key)
        seen.setdefault(key, path.stem)


def build_model(cfg: Config) -> Tuple[torch.nn.Module, int]:
    """The config's model (train mode) and its input side ``img_res``."""
    return MODELS.build(cfg.model), int(cfg.model.get('img_res', 224))


def box_samples(batch: int) -> Dict[str, torch.Tensor]:
    """CLIFF's box information for a batch: a 300 px box in a 640 x 480 image, focal 800 px."""
    return dict(center=torch.full((batch, 2), 320.0), scale=torch.full((batch, ), 1.5),
                ori_shape=torch.tensor([[480.0, 640.0]]).repeat(batch, 1), focal_length=torch.full((batch, ), 800.0))


def train_batch(batch: int, img_res: int, seed: int = 0) -> dict:
    """A collated training batch as the data pipeline packs it: uint8 BGR crops and the
    ground truth, MoSh parameters and box information of ``docs/data_contract.md``."""
    g = torch.Generator().manual_seed(seed)
    ones = torch.ones(batch, 24, 1)
    samples = dict(
        gt_keypoints_2d=torch.cat([torch.rand(batch, 24, 2, generator=g) * 2 - 1, ones], 2),
        gt_keypoints_3d=torch.cat([torch.randn(batch, 24, 3, generator=g) * 0.3, ones], 2),
        gt_pose=torch.randn(batch, 72, generator=g) * 0.2, gt_betas=torch.randn(batch, 10, generator=g),
        has_smpl=(torch.arange(batch) % 2).float(), gender=torch.full((batch, ), -1),
        mosh_theta=torch.cat([torch.zeros(batch, 3), torch.randn(batch, 82, generator=g) * 0.2], 1),
        **box_samples(batch))
    inputs = torch.randint(0, 256, (batch, 3, img_res, img_res), generator=g, dtype=torch.uint8)
    return dict(inputs=inputs, data_samples=samples)


def normalised(inputs: torch.Tensor) -> torch.Tensor:
    """What ``ImgDataPreprocessor(mean=MEAN, std=STD, bgr_to_rgb=True)`` makes of uint8 BGR crops."""
    mean = torch.tensor(MEAN, device=inputs.device).view(1, 3, 1, 1)
    std = torch.tensor(STD, device=inputs.device).view(1, 3, 1, 1)
    return (inputs[:, [2, 1, 0]].float() - mean) / std


def synchronize(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def interleaved_times(runs: Dict[str, Callable[[], None]], rounds: int, warmup: int,
                      device: torch.device = torch.device('cpu')) -> Dict[str, List[float]]:
    """Seconds per call of each function, the functions alternating call by call so that
    load from other processes hits all of them alike; ``warmup`` rounds are not kept."""
    times = {name: [] for name in runs}
    for i in range(warmup + rounds):
        for name, fn in runs.items():
            synchronize(device)
            start = time.perf_counter()
            fn()
            synchronize(device)
            if i >= warmup:
                times[name].append(time.perf_counter() - start)
    return times
