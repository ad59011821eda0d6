# The quickstart recipe (hmr_resnet18_synthetic_quickstart.py) with CLIFF's box information
# and full-image 2D loss: on the synthetic data the boxes are exact and the annotation files
# written by tools/make_synthetic_data.py carry each image's true focal length (older
# data/synthetic files without it fall back to sqrt(W^2 + H^2)). An experiment for the main
# job's robustness; its accuracy has not been measured yet (docs/model_zoo.md).
_base_ = ['../hmr/hmr_resnet18_synthetic_quickstart.py']

model = dict(
    mesh_head=dict(type='CLIFFHead'),
    loss_mesh=dict(joints_2d_frame='full'))
