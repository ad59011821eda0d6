"""Data transforms of the mesh recovery pipelines (mmcv ``BaseTransform``s)."""
from .loading import LoadImageFromFile
from .mesh_affine import MeshAffine
from .mesh_get_random_scale_rotation import MeshGetRandomScaleRotation
from .mesh_random_channel_noise import MeshRandomChannelNoise
from .mesh_random_flip import MeshRandomFlip, flip_keypoints_2d, flip_keypoints_3d, flip_smpl_pose
from .pack_mesh_inputs import PackMeshInputs
from .randomness import SeededRandomTransform

__all__ = [
    'LoadImageFromFile', 'MeshAffine', 'MeshGetRandomScaleRotation', 'MeshRandomChannelNoise',
    'MeshRandomFlip', 'PackMeshInputs', 'SeededRandomTransform', 'flip_keypoints_2d',
    'flip_keypoints_3d', 'flip_smpl_pose'
]
