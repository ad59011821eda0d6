"""Speed of the CPU mesh renderer on the free body model in the HMR crop camera.

Renders the free body (13348 vertices, 26692 triangles) at 224x224 with the HMR crop camera
(focal length 5000, the body filling most of the crop) and reports frames per second. The
baseline, measured in the same run on the same projected triangles, is a painter's algorithm
drawing each triangle with ``cv2.fillConvexPoly`` in a Python loop (flat colour, no depth
buffer). Thread pools are capped at 2 (the machine is shared).

Usage: python benchmarks/bench_render.py [--frames 40] [--example docs/images/render_free_body.png]
    [--photo IMAGE]  (the overlay's background; grey without it)
Last line: ``RESULT render_fps=X``.
"""
import os

for _var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ.setdefault(_var, '2')

import argparse  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Optional  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from mesh_recovery.visualization import MeshRenderer, PerspectiveCamera  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
BODY = REPO / 'models' / 'free_body' / 'body_model.npz'
# (s, tx, ty): the T-posed body (1.70 m wide, 1.69 m tall) spans ~89% of the crop.
CROP_CAM = (1.05, 0.0, -0.05)
CLOSE_UP_CAM = (3.0, 0.0, 0.35)  # chest and arms fill the crop: more, larger triangles
IMG_RES = 224


def load_body(path: Path):
    """Free body template turned to the camera frame (y down, facing the camera)."""
    if not path.is_file():
        raise SystemExit(f'{path}: free body model not found; it ships with the repository '
                         f'(models/free_body/body_model.npz), restore it or rebuild it')
    with np.load(path, allow_pickle=False) as data:
        vertices, faces = data['v_template'].astype(np.float64), data['f'].astype(np.int64)
    # Body frame is y up, facing +z; a 180 degree turn about x gives the camera frame.
    return vertices * np.array([1.0, -1.0, -1.0]), faces


def time_frames(render_once, frames: int) -> np.ndarray:
    """Per-frame wall times in seconds after two warm-up frames."""
    render_once()
    render_once()
    times = []
    for _ in range(frames):
        start = time.perf_counter()
        render_once()
        times.append(time.perf_counter() - start)
    return np.array(times)


def painter_baseline(vertices, faces, camera: PerspectiveCamera, size: int) -> np.ndarray:
    """Back-to-front cv2.fillConvexPoly over every triangle (flat colour, no z-buffer)."""
    uv, depth = camera.project(vertices)
    order = np.argsort(-depth[faces].mean(axis=1))
    polygons = np.rint(uv[faces[order]] * 16).astype(np.int32)  # 4 fractional bits
    image = np.zeros((size, size, 3), dtype=np.uint8)
    for polygon in polygons:
        cv2.fillConvexPoly(image, polygon, (200, 180, 160), lineType=cv2.LINE_8, shift=4)
    return image


def clothing_colors(vertices_cam: np.ndarray) -> np.ndarray:
    """Rough skin / shirt / trousers RGB per vertex, from height and distance to the axis."""
    x, height = vertices_cam[:, 0], -vertices_cam[:, 1]
    colors = np.tile([0.87, 0.70, 0.60], (len(x), 1))
    colors[(height < 0.5) & (np.abs(x) < 0.32)] = [0.20, 0.45, 0.75]
    colors[height < 0.02] = [0.25, 0.25, 0.30]
    return colors


def write_example(path: Path, renderer: MeshRenderer, vertices, faces,
                  camera: PerspectiveCamera, photo_path: Optional[Path] = None) -> None:
    """Front view alone, clothing-coloured front view over a photo (grey without one), side view."""
    if photo_path is not None:
        photo = cv2.imread(str(photo_path))
        if photo is None:
            raise SystemExit(f'--photo {photo_path}: not a readable image')
        photo = cv2.resize(photo, (IMG_RES, IMG_RES))
    else:
        photo = np.full((IMG_RES, IMG_RES, 3), 90, dtype=np.uint8)
    warm_light = MeshRenderer(IMG_RES, IMG_RES, light_dir=(0.6, -0.3, -1.0), ambient=0.45,
                              diffuse=0.6)
    front = renderer.render(vertices, faces, camera)
    over = warm_light.render(vertices, faces, camera, image=photo,
                             vertex_colors=clothing_colors(vertices))
    side = renderer.render_side_view(vertices, faces, camera)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.concatenate([front.image, over.image, side.image], axis=1))
    print(f'example written to {path}')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--frames', type=int, default=40)
    parser.add_argument('--example',
                        type=Path,
                        default=None,
                        help='also write a front / overlay / side-view PNG here')
    parser.add_argument('--photo', type=Path, default=None, help='background image of the example overlay')
    args = parser.parse_args()
    cv2.setNumThreads(2)
    vertices, faces = load_body(BODY)
    camera = PerspectiveCamera.from_weak_perspective(CROP_CAM, IMG_RES)
    renderer = MeshRenderer(IMG_RES, IMG_RES)
    coverage = renderer.render(vertices, faces, camera).mask.mean()
    print(f'free body: {len(vertices)} vertices, {len(faces)} triangles, {IMG_RES}x{IMG_RES}, '
          f'crop camera {CROP_CAM}, person covers {coverage:.1%} of the pixels; '
          f'threads capped at 2 on a shared CPU')

    ours = time_frames(lambda: renderer.render(vertices, faces, camera), args.frames)
    flat = MeshRenderer(IMG_RES, IMG_RES, smooth=False)
    ours_flat = time_frames(lambda: flat.render(vertices, faces, camera), args.frames)
    project = time_frames(lambda: camera.project(vertices), args.frames)
    painter = time_frames(lambda: painter_baseline(vertices, faces, camera, IMG_RES),
                          max(5, args.frames // 4))
    close_camera = PerspectiveCamera.from_weak_perspective(CLOSE_UP_CAM, IMG_RES)
    close_coverage = renderer.render(vertices, faces, close_camera).mask.mean()
    ours_close = time_frames(lambda: renderer.render(vertices, faces, close_camera),
                             max(5, args.frames // 4))
    big = MeshRenderer(1000, 1000)
    big_camera = PerspectiveCamera(focal_length=(5000 * 1000 / IMG_RES, ) * 2,
                                   principal_point=(500.0, 500.0),
                                   translation=camera.translation)
    ours_big = time_frames(lambda: big.render(vertices, faces, big_camera), 5)

    def report(name, times):
        print(f'{name:<44s} median {np.median(times) * 1e3:7.2f} ms   '
              f'mean {times.mean() * 1e3:7.2f} ms   {1.0 / times.mean():7.1f} fps')

    report('MeshRenderer.render (smooth, z-buffer)', ours)
    report('MeshRenderer.render (flat)', ours_flat)
    report('baseline: cv2.fillConvexPoly painter loop', painter)
    report('reference: projecting the vertices only', project)
    report(f'close-up {CLOSE_UP_CAM} ({close_coverage:.0%} covered)', ours_close)
    report('MeshRenderer.render at 1000x1000', ours_big)
    print(f'speed-up over the painter loop: {painter.mean() / ours.mean():.2f}x '
          f'(the painter has no depth buffer, no shading and no mask)')
    if args.example is not None:
        write_example(args.example, renderer, vertices, faces, camera, args.photo)
    print(f'RESULT render_fps={1.0 / ours.mean():.1f}')


if __name__ == '__main__':
    main()
