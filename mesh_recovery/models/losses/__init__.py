"""Loss functions."""
from .gan_loss import GANLoss
from .hmr2_loss import HMR2Loss
from .mesh_loss import MeshLoss

__all__ = ['GANLoss', 'HMR2Loss', 'MeshLoss']
