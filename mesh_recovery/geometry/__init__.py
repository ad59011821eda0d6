"""Batched geometry: rotations, cameras, alignment and crop transforms (a leaf package)."""
from .alignment import SimilarityTransform, align_by_procrustes, apply_similarity_transform, similarity_transform
from .camera import (perspective_projection, project_to_crop, translation_to_weak_perspective,
                     weak_perspective_to_translation)
from .rotation import (axis_angle_to_matrix, axis_angle_to_rot6d, matrix_to_axis_angle, matrix_to_rot6d,
                       rot6d_to_axis_angle, rot6d_to_matrix)
from .transforms import affine_transform_points, get_affine_transform, rotate_global_orient, rotate_points_3d

__all__ = [
    'SimilarityTransform', 'affine_transform_points', 'align_by_procrustes', 'apply_similarity_transform',
    'axis_angle_to_matrix', 'axis_angle_to_rot6d', 'get_affine_transform', 'matrix_to_axis_angle',
    'matrix_to_rot6d', 'perspective_projection', 'project_to_crop', 'rot6d_to_axis_angle', 'rot6d_to_matrix',
    'rotate_global_orient', 'rotate_points_3d', 'similarity_transform', 'translation_to_weak_perspective',
    'weak_perspective_to_translation'
]
