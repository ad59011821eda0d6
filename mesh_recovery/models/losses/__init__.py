"""Loss functions."""
from .gan_loss import GANLoss
from .mesh_loss import MeshLoss

__all__ = ['GANLoss', 'MeshLoss']
