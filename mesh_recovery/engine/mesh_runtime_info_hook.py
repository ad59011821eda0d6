"""Log each optimizer's learning rate as its largest parameter-group value."""
from mmengine.hooks import RuntimeInfoHook

from mesh_recovery.registry import HOOKS


@HOOKS.register_module()
class MeshRuntimeInfoHook(RuntimeInfoHook):
    """mmengine's ``RuntimeInfoHook``, logging ``max`` over parameter groups as ``lr``.

    mmengine logs the first parameter group's rate. With a frozen or
    down-weighted backbone (``paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0)})``)
    the first group is the backbone, so the generator's logged ``lr`` reads 0
    while its head trains at full rate.
    """

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        super().before_train_iter(runner, batch_idx, data_batch)
        for name, lrs in runner.optim_wrapper.get_lr().items():
            runner.message_hub.update_scalar(f'train/{name}', max(lrs))
