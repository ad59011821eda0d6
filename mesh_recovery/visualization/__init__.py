"""CPU mesh rendering shared by the synthetic-data generator and the demo."""
from .camera import PerspectiveCamera
from .mesh_renderer import MeshRenderer, RenderOutput
from .rasterize import Fragments, rasterize_triangles
from .visibility import visible_points

__all__ = [
    'Fragments', 'MeshRenderer', 'PerspectiveCamera', 'RenderOutput', 'rasterize_triangles',
    'visible_points'
]
