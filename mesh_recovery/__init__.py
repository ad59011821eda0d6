"""mesh_recovery: config-driven training and evaluation for single-image 3D human mesh recovery."""
from .version import __version__

__all__ = ['__version__']
