"""Recover meshes frame by frame over a video: boxes, inference, overlay and results, streamed."""
import sys
import time
from typing import Callable, NamedTuple, Optional

import numpy as np
import torch
from mmengine.utils import ProgressBar

from .frame_boxes import FrameBoxes
from .frame_reader import Frame, FrameReader
from .inference import BOX_PADDING, inference_model
from .overlay import render_overlay
from .person_detector import PersonDetector
from .video_result_writer import VideoResultWriter, draw_frame_annotations


class FrameDetections(NamedTuple):
    """The people of one frame, as boxes.

    Attributes:
        bboxes: ``(N, 4)`` boxes in px, or None for the whole frame as one crop.
        bbox_format: ``'xywh'`` or ``'xyxy'``.
        scores: ``(N,)`` confidence of each box (1 when the source gives none).
    """
    bboxes: Optional[np.ndarray]
    bbox_format: str
    scores: np.ndarray


# A box source maps a frame to its detections: see whole_frame, box_file_source, detector_source.
BoxSource = Callable[[Frame], FrameDetections]


class VideoSummary(NamedTuple):
    """What :func:`process_video` did.

    Attributes:
        frames: Frames read and written.
        people: Meshes recovered over all frames.
        seconds: Wall time of the loop (reading, boxes, inference, rendering, writing).
        fps: ``frames / seconds``.
    """
    frames: int
    people: int
    seconds: float
    fps: float


def whole_frame(frame: Frame) -> FrameDetections:
    """The whole frame as one person's crop (centre of the frame, side = its longer side)."""
    return FrameDetections(None, 'xywh', np.ones(1))


def box_file_source(boxes: FrameBoxes, is_folder: bool) -> BoxSource:
    """Boxes of each frame from a COCO-style file (see :class:`FrameBoxes`)."""
    def source(frame: Frame) -> FrameDetections:
        rows = boxes(frame.index, frame.name, is_folder)
        return FrameDetections(rows[:, :4], 'xywh', rows[:, 4])
    return source


def detector_source(detector: PersonDetector) -> BoxSource:
    """Boxes of each frame from a person detector."""
    def source(frame: Frame) -> FrameDetections:
        found = detector(frame.image)
        return FrameDetections(found['bboxes'], 'xyxy', found['scores'])
    return source


def process_video(model: torch.nn.Module, reader: FrameReader, writer: VideoResultWriter,
                  box_source: BoxSource = whole_frame, bbox_padding: float = BOX_PADDING, alpha: float = 1.0,
                  progress: bool = True) -> VideoSummary:
    """Recover, draw and write the people of every frame, one frame at a time.

    Each frame is read once; its overlay (meshes, person boxes, frame index)
    and its ``.npz`` are written before the next frame is read.

    Args:
        model: A ``ParametricMesh`` (see :func:`~mesh_recovery.apis.init_model`).
        reader: The frames.
        writer: Where the overlay video and per-frame results go.
        box_source: Frame -> person boxes (:func:`whole_frame`, :func:`box_file_source`,
            :func:`detector_source`, or any callable returning :class:`FrameDetections`).
        bbox_padding: Crop side / longer box side for boxes from a file or detector.
        alpha: Opacity of the meshes.
        progress: Show a progress bar on stdout.

    Returns:
        Counts and the frame rate of the whole loop.
    """
    bar = ProgressBar(reader.num_frames) if progress else None
    start, frames, people_count = time.perf_counter(), 0, 0
    for frame in reader:
        found = box_source(frame)
        people = inference_model(model, frame.image, found.bboxes, bbox_format=found.bbox_format,
                                 bbox_padding=bbox_padding)
        overlay = render_overlay(frame.image, people, alpha=alpha, side_view=False).image
        draw_frame_annotations(overlay, np.stack([p.bbox for p in people]) if people else np.zeros((0, 4)),
                               frame.index)
        scores = np.asarray(found.scores, np.float64).reshape(-1)[:len(people)]
        writer.write(frame.index, frame.name, overlay, people, scores)
        frames += 1
        people_count += len(people)
        if bar is not None:
            bar.update()
    if bar is not None:
        sys.stdout.write('\n')
    seconds = time.perf_counter() - start
    return VideoSummary(frames, people_count, seconds, frames / seconds if seconds > 0 else float('inf'))
