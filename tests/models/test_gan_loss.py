"""GANLoss against the values of mmpose 0.x's own tests."""
import pytest
import torch

from mesh_recovery.models.losses import GANLoss


@pytest.mark.parametrize('gan_type, scores, expected', [
    # (generator real, generator fake, discriminator real, discriminator fake), loss_weight 2.
    ('vanilla', torch.ones(1, 1), (0.6265233, 2.6265232, 0.3132616, 1.3132616)),
    ('lsgan', 2 * torch.ones(1, 3, 6, 6), (2.0, 8.0, 1.0, 4.0)),
    ('wgan', 2 * torch.ones(1, 3, 6, 6), (-4.0, 4.0, -2.0, 2.0)),
    ('hinge', 2 * torch.ones(1, 3, 6, 6), (-4.0, -4.0, 0.0, 3.0)),
])
def test_mmpose_reference_values(gan_type, scores, expected):
    loss = GANLoss(gan_type, loss_weight=2.0)
    got = (loss(scores, True, is_disc=False), loss(scores, False, is_disc=False),
           loss(scores, True, is_disc=True), loss(scores, False, is_disc=True))
    for value, want in zip(got, expected):
        assert value.item() == pytest.approx(want, abs=1e-6)


def test_perfect_scores_give_zero_lsgan():
    loss = GANLoss('lsgan')
    assert loss(torch.ones(4, 25), True, is_disc=True).item() == 0.0
    assert loss(torch.zeros(4, 25), False, is_disc=True).item() == 0.0
    assert loss(torch.ones(4, 25), True, is_disc=False).item() == 0.0


def test_custom_labels():
    loss = GANLoss('lsgan', real_label_val=0.9, fake_label_val=0.1)
    assert loss(torch.full((2, 3), 0.5), True, is_disc=True).item() == pytest.approx(0.16)
    assert loss(torch.full((2, 3), 0.5), False, is_disc=True).item() == pytest.approx(0.16)


def test_unknown_type_is_rejected():
    with pytest.raises(ValueError, match='gan_type'):
        GANLoss('wasserstein')
