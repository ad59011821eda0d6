"""Random cameras, lighting, backgrounds and clothing colours for synthetic images."""
from typing import NamedTuple, Sequence, Tuple

import cv2
import numpy as np

from mesh_recovery.conventions import SMPL_24

# Clothing region of the body part that each SMPL joint's skinning weights cover.
_REGION_OF_JOINT = {
    'pelvis': 'pants', 'left_hip': 'pants', 'right_hip': 'pants',
    'left_knee': 'legs', 'right_knee': 'legs',
    'left_ankle': 'shoes', 'right_ankle': 'shoes', 'left_foot': 'shoes', 'right_foot': 'shoes',
    'spine1': 'shirt', 'spine2': 'shirt', 'spine3': 'shirt',
    'left_collar': 'shirt', 'right_collar': 'shirt',
    'left_shoulder': 'shirt', 'right_shoulder': 'shirt',
    'left_elbow': 'forearms', 'right_elbow': 'forearms',
    'neck': 'skin', 'head': 'skin',
    'left_wrist': 'skin', 'right_wrist': 'skin', 'left_hand': 'skin', 'right_hand': 'skin',
}
REGIONS: Tuple[str, ...] = ('skin', 'shirt', 'forearms', 'pants', 'legs', 'shoes')

# Skin tones (RGB in [0, 1]) from light to dark; a sample interpolates between two.
_SKIN_TONES = np.array([[0.96, 0.80, 0.69], [0.87, 0.67, 0.53], [0.72, 0.52, 0.38],
                        [0.55, 0.38, 0.26], [0.36, 0.24, 0.16]])


class SceneParams(NamedTuple):
    """Everything about one synthetic image except the body.

    Attributes:
        image_size: (width, height) px.
        focal_length: Focal length in px (square pixels).
        principal_point: (cx, cy) px.
        translation: (3,) camera-frame position of the body's root, metres.
        light_dir: (3,) unit vector towards the light, camera frame.
        ambient: Ambient light fraction in [0, 1].
        region_colors: (len(REGIONS), 3) RGB in [0, 1].
    """
    image_size: Tuple[int, int]
    focal_length: float
    principal_point: Tuple[float, float]
    translation: np.ndarray
    light_dir: np.ndarray
    ambient: float
    region_colors: np.ndarray


def vertex_regions(weights: np.ndarray) -> np.ndarray:
    """Return the clothing region index of each vertex, from its dominant joint.

    Args:
        weights: (V, 24) skinning weights in SMPL joint order.

    Returns:
        (V,) int64 indices into ``REGIONS``.
    """
    joint_region = np.array([REGIONS.index(_REGION_OF_JOINT[name]) for name in SMPL_24])
    return joint_region[np.argmax(weights, axis=1)]


def sample_region_colors(rng: np.random.Generator) -> np.ndarray:
    """Skin, clothing and shoe colours (RGB in [0, 1]), one row per region."""
    i = rng.integers(len(_SKIN_TONES) - 1)
    skin = _SKIN_TONES[i] + rng.random() * (_SKIN_TONES[i + 1] - _SKIN_TONES[i])
    shirt, pants = rng.random((2, 3)) * 0.85 + 0.1
    shoes = np.full(3, rng.uniform(0.05, 0.35))
    # Short sleeves or shorts show skin on forearms or shins.
    forearms = skin if rng.random() < 0.4 else shirt
    legs = skin if rng.random() < 0.25 else pants
    colors = dict(skin=skin, shirt=shirt, forearms=forearms, pants=pants, legs=legs, shoes=shoes)
    return np.stack([colors[name] for name in REGIONS]).astype(np.float32)


def sample_scene(rng: np.random.Generator,
                 size_range: Tuple[int, int] = (240, 360),
                 person_height_frac: Tuple[float, float] = (0.45, 0.8),
                 body_height_m: float = 1.7) -> SceneParams:
    """Draw image size, camera, body placement, light and colours.

    The body's root is placed so that a standing person of ``body_height_m``
    spans ``person_height_frac`` of the image height, roughly centred.
    """
    width, height = (int(v) for v in rng.integers(size_range[0], size_range[1] + 1, size=2))
    focal = float(rng.uniform(1.2, 2.5) * max(width, height))
    frac = rng.uniform(*person_height_frac)
    depth = focal * body_height_m / (frac * height)
    # Offset of the root from the optical axis, as a fraction of the image.
    offset = rng.uniform(-0.08, 0.08, size=2) * np.array([width, height])
    translation = np.array([offset[0] * depth / focal, offset[1] * depth / focal, depth])
    light = np.array([rng.uniform(-0.8, 0.8), rng.uniform(-0.9, 0.3), -1.0])
    return SceneParams(
        image_size=(width, height),
        focal_length=focal,
        principal_point=(width / 2.0 + rng.uniform(-3, 3), height / 2.0 + rng.uniform(-3, 3)),
        translation=translation.astype(np.float32),
        light_dir=(light / np.linalg.norm(light)).astype(np.float32),
        ambient=float(rng.uniform(0.25, 0.6)),
        region_colors=sample_region_colors(rng))


def _random_color(rng: np.random.Generator) -> Tuple[int, int, int]:
    return tuple(int(c) for c in rng.integers(0, 256, size=3))


def make_background(rng: np.random.Generator, image_size: Sequence[int]) -> np.ndarray:
    """A cluttered BGR background: a vertical gradient, a floor, shapes, texture noise, blur."""
    width, height = image_size
    top, bottom = rng.integers(0, 256, size=(2, 3)).astype(np.float32)
    ramp = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    image = (top * (1 - ramp) + bottom * ramp) * np.ones((1, width, 1), np.float32)
    horizon = int(rng.uniform(0.55, 0.8) * height)
    image[horizon:] = np.asarray(_random_color(rng), np.float32) * rng.uniform(0.5, 1.0)
    image = image.astype(np.uint8)
    for _ in range(int(rng.integers(3, 10))):
        x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, height))
        w, h = (int(v) for v in rng.integers(10, max(width, height) // 2, size=2))
        if rng.random() < 0.5:
            cv2.rectangle(image, (x0, y0), (x0 + w, y0 + h), _random_color(rng), -1)
        else:
            cv2.ellipse(image, (x0, y0), (w // 2, h // 2), float(rng.uniform(0, 180)), 0, 360,
                        _random_color(rng), -1)
    # Float32 noise made in place: a third of the time of float64 normal(), which was a quarter
    # of the time to render a training sample.
    noise = rng.standard_normal(size=image.shape, dtype=np.float32)
    noise *= np.float32(rng.uniform(2, 12))
    noise += image
    image = np.clip(noise, 0, 255, out=noise).astype(np.uint8)
    ksize = int(rng.choice([1, 3, 5]))
    return cv2.GaussianBlur(image, (ksize, ksize), 0) if ksize > 1 else image
