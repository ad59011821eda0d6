"""A test-only hook (imported through ``custom_imports``) that saves each rank's final parameters."""
import os.path as osp

import torch
from mmengine.hooks import Hook
from mmengine.runner.checkpoint import get_state_dict

from mesh_recovery.registry import HOOKS


@HOOKS.register_module()
class ParamDumpHook(Hook):
    """Write this rank's parameters before and after training (``rank{R}_{initial,final}.pt``)."""

    def before_train(self, runner) -> None:
        self._dump(runner, 'initial')

    def after_train(self, runner) -> None:
        self._dump(runner, 'final')

    @staticmethod
    def _dump(runner, stage: str) -> None:
        # get_state_dict unwraps the per-submodule DDP wrappers, as checkpoints do.
        params = {k: v.detach().cpu().clone() for k, v in get_state_dict(runner.model).items()
                  if v.is_floating_point()}
        torch.save(params, osp.join(runner.work_dir, f'rank{runner.rank}_{stage}.pt'))
