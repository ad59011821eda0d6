"""Stream a video's results to disk: the overlay video, frame by frame, and one ``.npz`` per frame."""
import os
import os.path as osp
from typing import Optional, Sequence

import cv2
import numpy as np

from mesh_recovery.utils.errors import BadValueError

from .inference import PersonMesh

# Output extension -> FourCC. FFV1 (.mkv / .avi) is lossless; mp4v plays everywhere.
FOURCC_BY_EXTENSION = {'.mp4': 'mp4v', '.mkv': 'FFV1', '.avi': 'FFV1', '.mov': 'mp4v'}
BOX_COLOR = (0, 200, 255)  # BGR
TEXT_COLOR = (255, 255, 255)
TEXT_SHADOW = (0, 0, 0)


def draw_frame_annotations(image: np.ndarray, bboxes_xyxy: np.ndarray, index: int) -> np.ndarray:
    """Draw the person boxes and ``frame INDEX`` (top left) on ``image`` in place.

    Args:
        image: ``(H, W, 3)`` uint8 BGR.
        bboxes_xyxy: ``(N, 4)`` person boxes in px.
        index: Frame index to print.

    Returns:
        ``image``.
    """
    thickness = max(1, round(min(image.shape[:2]) / 240))
    for x1, y1, x2, y2 in np.asarray(bboxes_xyxy, dtype=np.float64).reshape(-1, 4):
        cv2.rectangle(image, (int(round(x1)), int(round(y1))), (int(round(x2)), int(round(y2))), BOX_COLOR,
                      thickness)
    scale = max(0.35, min(image.shape[:2]) / 600)
    origin = (4, 4 + int(20 * scale))
    text = f'frame {index}'
    cv2.putText(image, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, TEXT_SHADOW, thickness + 2, cv2.LINE_AA)
    cv2.putText(image, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, TEXT_COLOR, thickness, cv2.LINE_AA)
    return image


class VideoResultWriter:
    """Write overlay frames to a video file and each frame's people to ``RESULTS_DIR/%06d.npz``.

    Nothing is kept between frames, so memory does not depend on the video's length.
    Each ``.npz`` holds, for the ``N`` people of the frame: ``frame_index`` (),
    ``frame_name`` (), ``bbox`` (N, 4) xyxy px, ``score`` (N,) (the detector's or
    the box file's; 1 for the whole frame), ``center`` (N, 2) px, ``scale`` (N,) float64,
    ``pose`` (N, 24, 3, 3) rotation matrices, ``betas`` (N, 10), ``camera`` (N, 3)
    = (s, tx, ty), ``camera_translation`` (N, 3) m, ``focal_length`` (N,) float64 px of the
    full-image camera, ``keypoints_3d`` (N, 24, 3) m in the camera frame, and with
    ``save_vertices`` ``vertices`` (N, V, 3) float32 m in the camera frame (the
    triangles are written once, to ``RESULTS_DIR/faces.npy``; (0, V, 3) without people).

    Args:
        video_path: Output video; its extension picks the codec (:data:`FOURCC_BY_EXTENSION`).
        results_dir: Folder of the per-frame ``.npz`` files.
        fps: Frame rate of the output.
        save_vertices: Also store the vertices.
        fourcc: Override the codec (four characters).
    """

    def __init__(self, video_path: str, results_dir: str, fps: float, save_vertices: bool = False,
                 fourcc: Optional[str] = None) -> None:
        extension = osp.splitext(video_path)[1].lower()
        if fourcc is None and extension not in FOURCC_BY_EXTENSION:
            raise BadValueError(f'output video {video_path}: extension must be one of {sorted(FOURCC_BY_EXTENSION)} '
                                '(or give the codec with --fourcc)')
        self.fourcc = fourcc or FOURCC_BY_EXTENSION[extension]
        if len(self.fourcc) != 4:
            raise BadValueError(f'fourcc must have 4 characters, got {self.fourcc!r}')
        self.video_path, self.results_dir, self.fps = video_path, results_dir, float(fps)
        self.save_vertices = save_vertices
        self.frames_written = 0
        self._writer: Optional[cv2.VideoWriter] = None
        self._size = None
        self._num_vertices: Optional[int] = None
        os.makedirs(results_dir, exist_ok=True)
        parent = osp.dirname(video_path)
        if parent:
            os.makedirs(parent, exist_ok=True)

    def _open(self, width: int, height: int) -> None:
        writer = cv2.VideoWriter(self.video_path, cv2.VideoWriter_fourcc(*self.fourcc), self.fps, (width, height))
        if not writer.isOpened():
            raise BadValueError(f'OpenCV cannot write {self.video_path} with codec {self.fourcc!r}; use a .mp4 or '
                                '.mkv output, or another --fourcc')
        self._writer, self._size = writer, (width, height)

    def write(self, index: int, name: str, overlay: np.ndarray, people: Sequence[PersonMesh],
              scores: np.ndarray) -> str:
        """Append one overlay frame and write the frame's ``.npz``; returns the ``.npz`` path."""
        height, width = overlay.shape[:2]
        if self._writer is None:
            self._open(width, height)
        elif (width, height) != self._size:
            raise BadValueError(f'frame {index} ({name}) is {width}x{height} but the first frame was '
                                f'{self._size[0]}x{self._size[1]}; a video needs frames of one size')
        self._writer.write(np.ascontiguousarray(overlay))
        self.frames_written += 1
        return self._write_npz(index, name, people, scores)

    def _write_npz(self, index: int, name: str, people: Sequence[PersonMesh], scores: np.ndarray) -> str:
        def stack(field: str, shape: tuple, dtype=np.float32) -> np.ndarray:
            values = [np.asarray(getattr(p, field), dtype) for p in people]
            return np.stack(values) if values else np.zeros((0, ) + shape, dtype)

        # The crop and camera scalars stay float64, so the saved meshes re-render exactly.
        arrays = dict(frame_index=np.int64(index), frame_name=np.str_(name), bbox=stack('bbox', (4, )),
                      score=np.asarray(scores, np.float32).reshape(-1), center=stack('center', (2, )),
                      scale=stack('scale', (), np.float64), pose=stack('pose', (24, 3, 3)),
                      betas=stack('betas', (10, )), camera=stack('camera', (3, )),
                      camera_translation=stack('camera_translation', (3, )),
                      focal_length=stack('focal_length', (), np.float64),
                      keypoints_3d=stack('keypoints_3d', (24, 3)))
        if self.save_vertices:
            if people and self._num_vertices is None:
                np.save(osp.join(self.results_dir, 'faces.npy'), np.asarray(people[0].faces, np.int64))
                self._num_vertices = len(people[0].vertices)
            # (0, V, 3) for a frame without people (V = 0 until a first person was seen).
            arrays['vertices'] = stack('vertices', (self._num_vertices or 0, 3))
        path = osp.join(self.results_dir, f'{index:06d}.npz')
        np.savez(path, **arrays)
        return path

    def close(self) -> None:
        """Finish the video file."""
        if self._writer is not None:
            self._writer.release()
            self._writer = None

    def __enter__(self) -> 'VideoResultWriter':
        return self

    def __exit__(self, *exc) -> None:
        self.close()
