"""Models: backbones, heads, discriminators, losses and estimators (all registered in MODELS)."""
from .backbones import ResNet, TimmBackbone
from .discriminators import SMPLDiscriminator
from .estimators import ParametricMesh
from .heads import HMRMeshHead, MeshHeadOutput
from .losses import GANLoss, MeshLoss

__all__ = ['ResNet', 'TimmBackbone', 'HMRMeshHead', 'MeshHeadOutput', 'SMPLDiscriminator', 'MeshLoss', 'GANLoss',
           'ParametricMesh']
