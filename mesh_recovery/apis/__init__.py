"""Inference API: build a model, recover per-person meshes, draw them, export them."""
from .inference import BOX_PADDING, PersonMesh, boxes_to_center_scale, inference_model, init_model
from .mesh_io import load_obj, save_obj
from .overlay import MeshOverlay, render_overlay

__all__ = [
    'BOX_PADDING', 'MeshOverlay', 'PersonMesh', 'boxes_to_center_scale', 'inference_model', 'init_model',
    'load_obj', 'render_overlay', 'save_obj'
]
