"""Regression heads."""
from .cliff_head import CLIFFHead
from .hmr2_transformer_head import HMR2TransformerHead
from .hmr_mesh_head import HMRMeshHead, MeshHeadOutput, load_mean_params

__all__ = ['HMRMeshHead', 'CLIFFHead', 'HMR2TransformerHead', 'MeshHeadOutput', 'load_mean_params']
