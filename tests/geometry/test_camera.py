import torch

from mesh_recovery.geometry import (perspective_projection, project_to_crop, translation_to_weak_perspective,
                                    weak_perspective_to_translation)


def test_weak_perspective_translation_by_hand():
    cam = torch.tensor([[0.9, 0.1, -0.2], [2.0, 0.0, 0.0]])
    t = weak_perspective_to_translation(cam, focal_length=5000.0, img_res=224)
    assert torch.allclose(t[0], torch.tensor([0.1, -0.2, 2 * 5000 / (224 * 0.9)]))
    assert torch.allclose(t[1, 2], torch.tensor(10000 / 448.0))
    assert torch.allclose(translation_to_weak_perspective(t, 5000.0, 224), cam, atol=1e-6)


def test_perspective_projection_by_hand():
    points = torch.tensor([[[1.0, 2.0, 10.0], [0.0, 0.0, 5.0]]])
    uv = perspective_projection(points, torch.tensor([[0.0, 0.0, 0.0]]), 100.0, torch.tensor([[50.0, 60.0]]))
    assert torch.allclose(uv, torch.tensor([[[60.0, 80.0], [50.0, 60.0]]]))
    per_axis = perspective_projection(points, torch.zeros(1, 3), torch.tensor([[100.0, 200.0]]), torch.zeros(1, 2))
    assert torch.allclose(per_axis[0, 0], torch.tensor([10.0, 40.0]))
    rot = torch.tensor([[[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]])
    rotated = perspective_projection(points, torch.zeros(1, 3), 100.0, torch.zeros(1, 2), rotation=rot)
    assert torch.allclose(rotated[0, 0], torch.tensor([-20.0, 10.0]))


def test_project_to_crop_by_hand():
    # A body point at the root: X = tx, Y = ty, Z = 2 f / (res s) -> u = f tx / Z, normalised by res / 2.
    cam = torch.tensor([[0.8, 0.05, -0.1]])
    points = torch.tensor([[[0.0, 0.0, 0.0], [0.2, 0.0, 0.0]]])
    uv = project_to_crop(points, cam, focal_length=5000.0, img_res=224)
    depth = 2 * 5000.0 / (224 * 0.8)
    assert torch.allclose(uv[0, 0], torch.tensor([5000 * 0.05 / depth, 5000 * -0.1 / depth]) / 112)
    # Weak perspective: 0.2 m sideways moves s * 0.2 in normalised units.
    assert torch.allclose(uv[0, 1, 0] - uv[0, 0, 0], torch.tensor(0.8 * 0.2), atol=1e-6)
