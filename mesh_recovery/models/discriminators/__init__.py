"""Adversarial priors."""
from .smpl_discriminator import SMPLDiscriminator

__all__ = ['SMPLDiscriminator']
