"""Estimators (mmengine models with train / predict logic)."""
from .parametric_mesh import ParametricMesh

__all__ = ['ParametricMesh']
