default_scope = 'mesh_recovery'
# tools/train.py and tools/test.py build this runner (checked load_from, start-up consistency checks).
runner_type = 'MeshRunner'

default_hooks = dict(
    # The logged lr of each optimizer is its largest parameter-group value (a frozen backbone group reads 0).
    runtime_info=dict(type='MeshRuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # Atomic writes: a job killed while saving keeps its previous checkpoint loadable.
    checkpoint=dict(
        type='CheckpointHook', interval=1, max_keep_ckpts=3, save_last=True,
        backend_args=dict(backend='atomic_local')),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # Safety hooks are default hooks, so a config's own custom_hooks list (EMAHook, ...) keeps them;
    # set one to None to remove it on purpose.
    finite_loss=dict(type='FiniteLossHook'),
    rng_state=dict(type='RNGStateHook'),
)
custom_hooks = []

env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=True)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0)
