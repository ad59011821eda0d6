"""Regression heads."""
from .hmr_mesh_head import HMRMeshHead, MeshHeadOutput, load_mean_params

__all__ = ['HMRMeshHead', 'MeshHeadOutput', 'load_mean_params']
