# TensorBoard logging beside the local JSON logs; needs the extra: pip install -e ".[tensorboard]".
# Use it by adding this file to a config's _base_ list; events go to WORK_DIR/TIMESTAMP/vis_data/.
visualizer = dict(
    type='Visualizer',
    vis_backends=[dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')])
