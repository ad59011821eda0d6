"""mmengine's Runner with the checks this project's experiments need at start-up.

What it adds to ``mmengine.runner.Runner`` (everything else is unchanged):

- ``load_from`` goes through the mmpose-aware, checked loader
  (:func:`~mesh_recovery.engine.checkpoint.load_pretrained`): duplicates and SMPL
  buffers are dropped with one summary line, and weights that would stay random
  or go unused are an error unless ``load_from_cfg`` allows them;
- values shared by model, loss, pipelines and data are checked when the runner
  is built and when each loop's dataset exists (``startup_checks``);
- the project's safety hooks are default hooks (``finite_loss``, ``rng_state``),
  so a config that sets its own ``custom_hooks`` keeps them; set one to ``None``
  to remove it on purpose;
- ``save_best`` knows which of the project's metrics are lower-is-better;
- a per-optimizer ``param_scheduler`` must name exactly the optimizers.
"""
from typing import Dict, List, Optional, Union

from mmengine.hooks import CheckpointHook, Hook
from mmengine.optim import OptimWrapperDict
from mmengine.runner import Runner

from mesh_recovery.evaluation.metric_rules import GREATER_IS_BETTER, LESS_IS_BETTER
from mesh_recovery.registry import RUNNERS
from mesh_recovery.utils.errors import BadValueError, UserError

from .checkpoint import load_pretrained
from .checkpoint_setup import setup_checkpoint_loading
from .resume import resolve_resume_checkpoint
from .startup_checks import check_crop_resolution, check_dataset_joints, check_feature_channels

# Hooks every run of this project keeps unless its config removes them by name (``None``).
SAFETY_HOOKS = dict(finite_loss=dict(type='FiniteLossHook'), rng_state=dict(type='RNGStateHook'))
# mmengine's own defaults for the 'greater'/'less' inference, which an explicit list would replace.
_MMENGINE_GREATER = tuple(CheckpointHook._default_greater_keys)
_MMENGINE_LESS = tuple(CheckpointHook._default_less_keys)


class ParamSchedulerConfigError(UserError, ValueError):
    """``param_scheduler`` does not fit the optimizers of the model."""


@RUNNERS.register_module()
class MeshRunner(Runner):
    """``Runner`` with checked ``load_from``, start-up consistency checks and safety hooks.

    Build it like mmengine's: ``MeshRunner.from_cfg(cfg)``. Extra config key:
    ``load_from_cfg = dict(allow_missing=[...], allow_unexpected=[...])``, module
    names or fnmatch patterns of keys that ``load_from`` may leave initialised
    or unused.
    """

    def __init__(self, *args, **kwargs) -> None:
        # Resume and load_from read checkpoints weights-only, with mmengine's logging objects allowed.
        setup_checkpoint_loading()
        cfg = kwargs.get('cfg')
        if cfg is not None:
            check_crop_resolution(cfg)
        super().__init__(*args, **kwargs)
        check_feature_channels(self.model)

    # --- hooks -----------------------------------------------------------------------------------
    def register_default_hooks(self, hooks: Optional[Dict[str, Union[Hook, Dict]]] = None) -> None:
        hooks = dict(hooks or {})
        for name, hook in SAFETY_HOOKS.items():
            hooks.setdefault(name, dict(hook))
        hooks.setdefault('checkpoint', dict(type='CheckpointHook', interval=1))  # mmengine's default, explicit
        checkpoint = hooks.get('checkpoint')
        if isinstance(checkpoint, dict) and checkpoint.get('type') in ('CheckpointHook', 'mmengine.CheckpointHook'):
            # Relative, atomically rewritten last_checkpoint; temporary files of killed writes removed.
            checkpoint = hooks['checkpoint'] = dict(checkpoint, type='MeshCheckpointHook')
        if isinstance(checkpoint, dict) and checkpoint.get('save_best') is not None:
            hooks['checkpoint'] = dict(checkpoint)
            hooks['checkpoint'].setdefault('greater_keys', list(_MMENGINE_GREATER + GREATER_IS_BETTER))
            hooks['checkpoint'].setdefault('less_keys', list(_MMENGINE_LESS + LESS_IS_BETTER))
        # mmengine removes a disabled hook only if it is one of its own defaults.
        super().register_default_hooks({k: v for k, v in hooks.items() if v is not None or k not in SAFETY_HOOKS})

    def register_custom_hooks(self, hooks: List[Union[Hook, Dict]]) -> None:
        # Configs written before the safety hooks became default hooks list them here too.
        safety_types = {hook['type'] for hook in SAFETY_HOOKS.values()}
        present = {type(hook).__name__ for hook in self._hooks}
        kept = []
        for hook in hooks:
            name = hook.get('type') if isinstance(hook, dict) else type(hook).__name__
            if name in safety_types and name in present:
                self.logger.info(f'custom_hooks: {name} is already registered as a default hook; not adding it twice')
                continue
            kept.append(hook)
        super().register_custom_hooks(kept)

    # --- loading ---------------------------------------------------------------------------------
    def load_or_resume(self) -> None:
        if not self._has_loaded and self._resume and self._load_from is None:
            # --resume without a path: the newest checkpoint that loads (see engine/resume.py).
            self._load_from = resolve_resume_checkpoint(self.work_dir)
            self._resume = self._load_from is not None
        if self._has_loaded or self._resume or self._load_from is None:
            super().load_or_resume()
            return
        options = dict(self.cfg.get('load_from_cfg') or {}) if self.cfg is not None else {}
        unknown = set(options) - {'allow_missing', 'allow_unexpected'}
        if unknown:
            raise BadValueError(f'load_from_cfg has unknown keys {sorted(unknown)}; '
                           'expected allow_missing and/or allow_unexpected')
        report = load_pretrained(self.model, self._load_from, allow_missing=options.get('allow_missing', ()),
                                 allow_unexpected=options.get('allow_unexpected', ()))
        self.logger.info(report.summary(self._load_from))
        # Hooks that mirror the weights (EMAHook) copy the loaded ones; RNGStateHook ignores a non-resume load.
        self.call_hook('after_load_checkpoint', checkpoint=dict(report.extras, state_dict=self.model.state_dict()))
        self._has_loaded = True

    # --- loops -----------------------------------------------------------------------------------
    def build_train_loop(self, loop):
        loop = super().build_train_loop(loop)
        check_dataset_joints(self.model, loop.dataloader.dataset, 'train_dataloader')
        return loop

    def build_val_loop(self, loop):
        loop = super().build_val_loop(loop)
        check_dataset_joints(self.model, loop.dataloader.dataset, 'val_dataloader')
        return loop

    def build_test_loop(self, loop):
        loop = super().build_test_loop(loop)
        check_dataset_joints(self.model, loop.dataloader.dataset, 'test_dataloader')
        return loop

    # --- schedules -------------------------------------------------------------------------------
    def build_param_scheduler(self, scheduler):
        if isinstance(self.optim_wrapper, OptimWrapperDict):
            check_schedulers_per_optimizer(scheduler, list(self.optim_wrapper.keys()))
        return super().build_param_scheduler(scheduler)


def check_schedulers_per_optimizer(scheduler, names: List[str]) -> None:
    """A model with several optimizers needs ``param_scheduler = dict(name=[...], ...)`` naming each.

    mmengine would apply one list to every optimizer, or leave an optimizer
    without an entry unscheduled, without a word.

    Raises:
        ParamSchedulerConfigError: Naming the optimizers expected and those given.
    """
    example = 'param_scheduler = dict(' + ', '.join(f'{n}=[dict(type=...)]' for n in names) + ')'
    if not isinstance(scheduler, dict) or 'type' in scheduler:
        raise ParamSchedulerConfigError(
            f'the model has {len(names)} optimizers {names}, so param_scheduler must give each its own list: '
            f'{example}; got one schedule for all ({type(scheduler).__name__}).')
    missing = [n for n in names if n not in scheduler]
    extra = sorted(set(scheduler) - set(names))
    if missing or extra:
        raise ParamSchedulerConfigError(
            f'param_scheduler names {sorted(scheduler)} but the optimizers are {names}'
            + (f'; missing: {missing} (they would run at a constant learning rate)' if missing else '')
            + (f'; unknown: {extra}' if extra else '') + f'. Expected {example} (use [] for a constant rate).')
