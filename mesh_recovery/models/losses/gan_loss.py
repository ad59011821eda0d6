"""Adversarial losses (vanilla, lsgan, wgan, hinge) with mmpose 0.x's conventions."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from mesh_recovery.registry import MODELS

GAN_TYPES = ('vanilla', 'lsgan', 'wgan', 'hinge')


@MODELS.register_module()
class GANLoss(nn.Module):
    """Loss on discriminator scores for the generator or the discriminator.

    - ``vanilla``: binary cross-entropy on logits against the real/fake label;
    - ``lsgan``: mean squared error against the real/fake label;
    - ``wgan``: ``-mean(score)`` for real, ``mean(score)`` for fake;
    - ``hinge``: discriminator ``mean(relu(1 - score))`` real /
      ``mean(relu(1 + score))`` fake; generator ``-mean(score)``.

    ``loss_weight`` scales the generator's loss only; the discriminator's loss
    is unweighted (mmpose's convention).

    Args:
        gan_type: One of ``vanilla``, ``lsgan``, ``wgan``, ``hinge``.
        real_label_val: Target for real samples (vanilla, lsgan).
        fake_label_val: Target for fake samples (vanilla, lsgan).
        loss_weight: Weight of the generator's adversarial loss.
    """

    def __init__(self, gan_type: str = 'lsgan', real_label_val: float = 1.0, fake_label_val: float = 0.0,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if gan_type not in GAN_TYPES:
            raise ValueError(f'GANLoss gan_type must be one of {GAN_TYPES}, got {gan_type!r}')
        self.gan_type = gan_type
        self.real_label_val = real_label_val
        self.fake_label_val = fake_label_val
        self.loss_weight = loss_weight

    def forward(self, scores: torch.Tensor, target_is_real: bool, is_disc: bool = False) -> torch.Tensor:
        """Compute the loss.

        Args:
            scores: Discriminator outputs of any shape, e.g. ``(B, 25)``.
            target_is_real: Whether the target label is "real".
            is_disc: ``True`` for the discriminator's loss, ``False`` for the
                generator's (then multiplied by ``loss_weight``).

        Returns:
            Scalar loss.
        """
        if self.gan_type == 'hinge':
            if is_disc:
                loss = F.relu(1.0 - scores if target_is_real else 1.0 + scores).mean()
            else:
                loss = -scores.mean()
        elif self.gan_type == 'wgan':
            loss = -scores.mean() if target_is_real else scores.mean()
        else:
            target = torch.full_like(scores, self.real_label_val if target_is_real else self.fake_label_val)
            if self.gan_type == 'vanilla':
                loss = F.binary_cross_entropy_with_logits(scores, target)
            else:
                loss = F.mse_loss(scores, target)
        return loss if is_disc else loss * self.loss_weight
