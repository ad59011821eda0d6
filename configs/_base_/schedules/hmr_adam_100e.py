# mmpose 0.x's HMR schedule: 100 epochs, validation every 10, one Adam per network (generator =
# backbone + mesh head at 2.5e-4, discriminator at 1e-4) at constant rates (mmpose's 'Fixed'
# policy, hence no param_scheduler). A model without a discriminator replaces optim_wrapper whole
# (_delete_=True) with a single OptimWrapper (docs/configs.md).
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=100, val_interval=10)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    generator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=2.5e-4)),
    discriminator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4)))
