import pytest
import torch

from mesh_recovery.geometry.camera import (perspective_projection, project_to_crop, translation_to_weak_perspective,
                                           weak_perspective_to_translation)


def test_weak_perspective_to_translation_by_hand():
    cam = torch.tensor([[0.9, 0.1, -0.2], [2.0, 0.0, 0.5]], dtype=torch.float64)
    translation = weak_perspective_to_translation(cam, focal_length=5000.0, img_res=224)
    # 2 * 5000 / (224 * 0.9) = 10000 / 201.6 and 10000 / 448.
    expected = torch.tensor([[0.1, -0.2, 49.6031746031746], [0.0, 0.5, 22.321428571428573]], dtype=torch.float64)
    assert torch.allclose(translation, expected, rtol=0, atol=1e-9)
    # Default values are mmpose's (f = 5000, 224 px).
    assert torch.equal(weak_perspective_to_translation(cam), translation)
    # Other focal length and resolution: 2 * 1000 / (256 * 2) = 3.90625.
    assert weak_perspective_to_translation(cam, 1000.0, 256)[1, 2].item() == pytest.approx(3.90625, abs=1e-9)


def test_translation_to_weak_perspective_inverts():
    cam = torch.tensor([[0.9, 0.1, -0.2], [2.0, 0.0, 0.5], [0.05, -1.0, 3.0]], dtype=torch.float64)
    back = translation_to_weak_perspective(weak_perspective_to_translation(cam, 5000.0, 224), 5000.0, 224)
    assert torch.allclose(back, cam, rtol=0, atol=1e-10)


def test_zero_scale_stays_finite():
    translation = weak_perspective_to_translation(torch.tensor([[0.0, 0.1, 0.2]], dtype=torch.float64))
    assert torch.isfinite(translation).all() and translation[0, 2].item() == pytest.approx(1e13)


def test_perspective_projection_by_hand():
    points = torch.tensor([[[1.0, 2.0, 10.0], [0.0, 0.0, 5.0]]])
    uv = perspective_projection(points, torch.zeros(1, 3), 100.0, torch.tensor([[50.0, 60.0]]))
    assert torch.allclose(uv, torch.tensor([[[60.0, 80.0], [50.0, 60.0]]]))
    # Translation is added before the division: (1 + 1, 2) / (10 + 10).
    shifted = perspective_projection(points, torch.tensor([[1.0, 0.0, 10.0]]), 100.0, torch.zeros(1, 2))
    assert torch.allclose(shifted[0, 0], torch.tensor([10.0, 10.0]))
    per_axis = perspective_projection(points, torch.zeros(1, 3), torch.tensor([[100.0, 200.0]]), torch.zeros(1, 2))
    assert torch.allclose(per_axis[0, 0], torch.tensor([10.0, 40.0]))
    # The rotation is applied to the points first: 90 deg about z takes (1, 2) to (-2, 1).
    rot = torch.tensor([[[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]])
    rotated = perspective_projection(points, torch.zeros(1, 3), 100.0, torch.zeros(1, 2), rotation=rot)
    assert torch.allclose(rotated[0, 0], torch.tensor([-20.0, 10.0]))


def test_perspective_projection_per_sample_focal_lengths():
    points = torch.tensor([[[1.0, 1.0, 2.0]], [[1.0, 1.0, 2.0]]])
    uv = perspective_projection(points, torch.zeros(2, 3), torch.tensor([100.0, 300.0]), torch.zeros(2, 2))
    assert torch.allclose(uv[:, 0], torch.tensor([[50.0, 50.0], [150.0, 150.0]]))
    uv = perspective_projection(points, torch.zeros(2, 3), torch.tensor([[100.0, 10.0], [300.0, 30.0]]),
                                torch.zeros(2, 2))
    assert torch.allclose(uv[:, 0], torch.tensor([[50.0, 5.0], [150.0, 15.0]]))


def test_project_to_crop_by_hand():
    # The body origin sits at X = tx, Y = ty, Z = 2 f / (res s), so u = f tx / Z = res s tx / 2,
    # i.e. (s tx, s ty) in normalised crop units, whatever f and res.
    cam = torch.tensor([[0.8, 0.05, -0.1]], dtype=torch.float64)
    points = torch.tensor([[[0.0, 0.0, 0.0], [0.2, 0.0, 0.0], [0.0, 0.0, 1.0]]], dtype=torch.float64)
    uv = project_to_crop(points, cam, focal_length=5000.0, img_res=224)
    assert torch.allclose(uv[0, 0], torch.tensor([0.04, -0.08], dtype=torch.float64), rtol=0, atol=1e-10)
    # 0.2 m sideways at the same depth: s * (tx + 0.2) = 0.2.
    assert torch.allclose(uv[0, 1], torch.tensor([0.2, -0.08], dtype=torch.float64), rtol=0, atol=1e-10)
    # 1 m further away: (s tx, s ty) * Z / (Z + 1) with Z = 10000 / 179.2 = 55.80357142857143.
    ratio = 55.80357142857143 / 56.80357142857143
    assert torch.allclose(uv[0, 2], torch.tensor([0.04, -0.08], dtype=torch.float64) * ratio, rtol=0, atol=1e-10)
    other = project_to_crop(points[:, :1], cam, focal_length=1000.0, img_res=256)
    assert torch.allclose(other[0, 0], uv[0, 0], rtol=0, atol=1e-10)


def test_project_to_crop_matches_pixel_targets():
    # Normalised coordinates are crop pixels mapped by 2 * px / res - 1 (the 2D target convention).
    gen = torch.Generator().manual_seed(0)
    points = torch.randn(3, 24, 3, generator=gen, dtype=torch.float64) * 0.4
    cam = torch.tensor([[0.9, 0.0, 0.1], [1.1, -0.2, 0.05], [0.7, 0.1, -0.3]], dtype=torch.float64)
    res = 224
    pixels = perspective_projection(points, weak_perspective_to_translation(cam, 5000.0, res), 5000.0,
                                    torch.full((3, 2), res / 2, dtype=torch.float64))
    assert torch.allclose(project_to_crop(points, cam, 5000.0, res), 2 * pixels / res - 1, rtol=0, atol=1e-10)


def test_project_to_crop_gradient_reaches_the_camera():
    cam = torch.tensor([[0.9, 0.1, -0.1]], requires_grad=True)
    points = torch.randn(1, 24, 3, generator=torch.Generator().manual_seed(1)) * 0.3
    project_to_crop(points, cam).sum().backward()
    assert torch.isfinite(cam.grad).all() and (cam.grad.abs() > 0).all()


def test_bad_shapes_raise_clear_errors():
    with pytest.raises(ValueError, match=r'points_3d must have shape \(B, N, 3\), got \(24, 3\)'):
        perspective_projection(torch.zeros(24, 3), torch.zeros(1, 3), 5000.0, torch.zeros(1, 2))
    with pytest.raises(ValueError, match=r'focal_length must be a float, \(B,\) or \(B, 2\)'):
        perspective_projection(torch.ones(1, 2, 3), torch.zeros(1, 3), torch.ones(1, 3), torch.zeros(1, 2))
    with pytest.raises(ValueError, match=r'cam must have shape \(B, 3\), got \(3,\)'):
        project_to_crop(torch.ones(1, 2, 3), torch.ones(3))
