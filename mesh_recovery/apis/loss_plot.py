"""Plot the losses of a training run from mmengine's scalar logs (``WORK_DIR/*/vis_data/scalars.json``)."""
import glob
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from mesh_recovery.utils.errors import BadFileError, MissingFileError

# The generator total and the discriminator total are drawn bold; their terms thin.
TOTALS = ('loss', 'loss_disc')


def read_scalar_logs(work_dir: str) -> Dict[str, Tuple[np.ndarray, np.ndarray]]:
    """The training losses of every run in ``work_dir``, by name, as ``(steps, values)``.

    Each run (one ``TIMESTAMP/`` folder per start, resumed runs included) logs a
    line of JSON per logging interval to ``vis_data/scalars.json``; lines with a
    ``step`` and ``loss*`` entries are training iterations (validation lines carry
    metrics instead). Where runs overlap (a resume repeats steps), the later run wins.

    Returns:
        Loss name -> (steps, values), steps ascending.

    Raises:
        MissingFileError: If ``work_dir`` has no ``*/vis_data/scalars.json``.
    """
    paths = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    if not paths:
        raise MissingFileError(f'no training log in {work_dir}: expected TIMESTAMP/vis_data/scalars.json, which '
                               "mmengine's LocalVisBackend writes during training")
    series: Dict[str, Dict[int, float]] = {}
    for path in paths:  # timestamps sort in time order
        with open(path, encoding='utf-8') as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except ValueError as exc:
                    raise BadFileError(f'{path}:{number}: not a JSON line ({exc})') from exc
                if 'step' not in record or 'iter' not in record:
                    continue  # validation / test metrics
                for key, value in record.items():
                    if key.startswith('loss') and isinstance(value, (int, float)):
                        series.setdefault(key, {})[int(record['step'])] = float(value)
    out = {}
    for key, points in series.items():
        steps = np.array(sorted(points), dtype=np.int64)
        out[key] = (steps, np.array([points[s] for s in steps], dtype=np.float64))
    return out


def _order(names: Sequence[str]) -> List[str]:
    return [n for n in TOTALS if n in names] + sorted(n for n in names if n not in TOTALS)


def plot_losses(work_dir: str, out_path: str, log_scale: bool = True,
                title: Optional[str] = None) -> Dict[str, Tuple[np.ndarray, np.ndarray]]:
    """Draw every logged loss against the iteration into a PNG.

    Args:
        work_dir: The training work dir.
        out_path: Output ``.png``.
        log_scale: Logarithmic loss axis (the terms span orders of magnitude).
        title: Figure title (default: the work dir).

    Returns:
        The series plotted (see :func:`read_scalar_logs`).
    """
    import matplotlib
    matplotlib.use('Agg', force=False)
    import matplotlib.pyplot as plt

    series = read_scalar_logs(work_dir)
    if not series:
        raise BadFileError(f'the training logs in {work_dir} hold no loss values')
    figure, axis = plt.subplots(figsize=(8, 4.5), dpi=100)
    for name in _order(list(series)):
        steps, values = series[name]
        positive = values > 0 if log_scale else np.ones(len(values), bool)
        axis.plot(steps[positive], values[positive], label=name, linewidth=2.0 if name in TOTALS else 0.9)
    if log_scale:
        axis.set_yscale('log')
    axis.set_xlabel('iteration')
    axis.set_ylabel("loss (as logged: mean over the log processor's window)")
    axis.set_title(title or osp.basename(osp.normpath(work_dir)))
    axis.grid(True, which='both', alpha=0.3)
    axis.legend(fontsize=7, ncol=2)
    figure.tight_layout()
    parent = osp.dirname(out_path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    figure.savefig(out_path)
    plt.close(figure)
    return series
