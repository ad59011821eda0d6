"""Read the frames of a video file or of a folder of images, once, in order."""
import os
import os.path as osp
from typing import Iterator, List, NamedTuple, Optional

import cv2
import numpy as np

from mesh_recovery.utils.errors import BadFileError, MissingFileError

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v', '.mpg', '.mpeg', '.wmv')
# Frame rate given to the output when the input does not say (a folder of frames).
DEFAULT_FPS = 25.0


class Frame(NamedTuple):
    """One frame.

    Attributes:
        index: 0-based position in the video or in the sorted folder.
        name: The image's file name for a folder; ``%06d.jpg`` of the index for a
            video (the names ``ffmpeg -i VIDEO -start_number 0 %06d.jpg`` gives).
        image: ``(H, W, 3)`` uint8 BGR.
    """
    index: int
    name: str
    image: np.ndarray


def is_video_input(path: str) -> bool:
    """Whether ``path`` is a folder of frames or a file with a video extension."""
    return osp.isdir(path) or osp.splitext(path)[1].lower() in VIDEO_EXTENSIONS


class FrameReader:
    """Iterate over the frames of a video file or a folder of images, decoding each once.

    Frames are decoded one at a time as the iteration asks for them, so memory
    does not grow with the length of the video. A folder's frames are its image
    files sorted by name; a frame that cannot be decoded is an error naming it.

    Args:
        source: Video file (any format OpenCV's FFmpeg backend reads) or folder of images.

    Attributes:
        fps: Frame rate of the video (``DEFAULT_FPS`` for a folder or when unknown).
        num_frames: Frame count (a video's header value, which some formats only estimate).
        is_folder: True for a folder of frames.
    """

    def __init__(self, source: str) -> None:
        self.source = str(source)
        self.is_folder = osp.isdir(self.source)
        self._names: Optional[List[str]] = None
        if self.is_folder:
            self._names = sorted(n for n in os.listdir(self.source) if n.lower().endswith(IMAGE_EXTENSIONS))
            if not self._names:
                raise BadFileError(f'frame folder {self.source} has no images ({", ".join(IMAGE_EXTENSIONS)})')
            self.fps, self.num_frames = DEFAULT_FPS, len(self._names)
            return
        if not osp.isfile(self.source):
            raise MissingFileError(f'video {self.source} does not exist (cwd {os.getcwd()})')
        capture = self._open()
        fps = capture.get(cv2.CAP_PROP_FPS)
        self.fps = float(fps) if np.isfinite(fps) and fps > 0 else DEFAULT_FPS
        self.num_frames = max(0, int(capture.get(cv2.CAP_PROP_FRAME_COUNT)))
        capture.release()

    def _open(self) -> cv2.VideoCapture:
        capture = cv2.VideoCapture(self.source)
        if not capture.isOpened():
            raise BadFileError(f'video {self.source} cannot be opened by OpenCV; convert it, e.g. '
                               f'ffmpeg -i {self.source} out.mp4, or extract its frames into a folder')
        return capture

    @staticmethod
    def video_frame_name(index: int) -> str:
        """The name of video frame ``index`` (see :class:`Frame`)."""
        return f'{index:06d}.jpg'

    def frame_names(self) -> Optional[List[str]]:
        """The frame names of a folder (None for a video: its names follow the index)."""
        return None if self._names is None else list(self._names)

    def __iter__(self) -> Iterator[Frame]:
        if self._names is not None:
            for index, name in enumerate(self._names):
                path = osp.join(self.source, name)
                image = cv2.imread(path, cv2.IMREAD_COLOR)
                if image is None:
                    raise BadFileError(f'frame {path} cannot be decoded as an image; remove or replace it')
                yield Frame(index, name, image)
            return
        capture = self._open()
        try:
            index = 0
            while True:
                ok, image = capture.read()
                if not ok:
                    break
                yield Frame(index, self.video_frame_name(index), image)
                index += 1
        finally:
            capture.release()
