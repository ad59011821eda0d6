"""A progress bar for validation and test loops."""
from typing import Optional

from mmengine.hooks import Hook
from mmengine.utils import ProgressBar

from mesh_recovery.registry import HOOKS


@HOOKS.register_module()
class ProgressBarHook(Hook):
    """Show a progress bar over the samples of the val / test loop (rank 0 only).

    Args:
        bar_width: Width of the bar in characters.
    """

    priority = 'VERY_LOW'

    def __init__(self, bar_width: int = 40) -> None:
        self.bar_width = bar_width
        self._bar: Optional[ProgressBar] = None

    def _start(self, runner, dataloader) -> None:
        if runner.rank == 0:
            self._bar = ProgressBar(len(dataloader.dataset), bar_width=self.bar_width)

    def _update(self, runner, data_batch) -> None:
        if self._bar is None:
            return
        inputs = data_batch.get('inputs') if isinstance(data_batch, dict) else None
        batch_size = len(inputs) if inputs is not None else 1
        self._bar.update(batch_size * runner.world_size)

    def _finish(self) -> None:
        if self._bar is not None:
            self._bar.file.write('\n')
            self._bar.file.flush()
        self._bar = None

    def before_test_epoch(self, runner) -> None:
        self._start(runner, runner.test_dataloader)

    def before_val_epoch(self, runner) -> None:
        self._start(runner, runner.val_dataloader)

    def after_test_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self._update(runner, data_batch)

    def after_val_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self._update(runner, data_batch)

    def after_test_epoch(self, runner, metrics=None) -> None:
        self._finish()

    def after_val_epoch(self, runner, metrics=None) -> None:
        self._finish()
