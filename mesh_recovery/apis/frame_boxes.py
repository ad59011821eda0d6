"""Per-frame person boxes from one COCO-style file, indexed once for the whole video."""
import json
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Optional, Sequence

import numpy as np

from mesh_recovery.utils.errors import BadFileError
from mesh_recovery.utils.files import require_file


def _stem_index(name: str) -> Optional[int]:
    stem = osp.splitext(osp.basename(name))[0]
    return int(stem) if stem.isdigit() else None


class FrameBoxes:
    """The non-crowd person boxes of each frame, from a COCO-style file.

    The file has ``images`` (``id``, ``file_name``) and ``annotations``
    (``image_id``, ``bbox`` as ``xywh``, optional ``iscrowd``, ``category_id``,
    ``score``), as for a single image in ``tools/demo.py``. A frame is matched
    by the base name of its ``file_name``; a video's frames are also matched by
    a numeric name (``12.jpg``, ``000012.png``: frame 12, 0-based). A frame
    without an entry has no people.

    Args:
        path: The box file.
        frame_names: A folder's frame names, to check the file names some frames
            (None for a video).

    Raises:
        BadFileError: If the file is not COCO-style, or names none of the frames.
    """

    def __init__(self, path: str, frame_names: Optional[Sequence[str]] = None) -> None:
        require_file(path, 'box file')
        self.path = path
        try:
            with open(path, encoding='utf-8') as handle:
                data = json.load(handle)
        except (OSError, ValueError) as exc:
            raise BadFileError(f'box file {path} is not valid JSON ({exc})') from exc
        if not (isinstance(data, dict) and 'images' in data and 'annotations' in data):
            raise BadFileError(f'box file {path}: a video needs a COCO-style dict with "images" (id, file_name) '
                               'and "annotations" (image_id, bbox as xywh) covering its frames; got '
                               f'{type(data).__name__} {list(data)[:5] if isinstance(data, dict) else ""}')
        persons = {c['id'] for c in data.get('categories', []) if c.get('name') == 'person'}
        by_image: Dict[object, List[list]] = defaultdict(list)
        for ann in data['annotations']:
            if ann.get('iscrowd', 0) or (persons and ann.get('category_id') not in persons):
                continue
            if not isinstance(ann.get('bbox'), (list, tuple)) or len(ann['bbox']) != 4:
                raise BadFileError(f'box file {path}: annotation {ann.get("id")} has bbox {ann.get("bbox")!r}; '
                                   'expected [x, y, w, h]')
            by_image[ann.get('image_id')].append([float(v) for v in ann['bbox']] + [float(ann.get('score', 1.0))])
        self._by_name: Dict[str, np.ndarray] = {}
        self._by_index: Dict[int, np.ndarray] = {}
        for image in data['images']:
            boxes = np.asarray(by_image.get(image.get('id'), []), dtype=np.float64).reshape(-1, 5)
            name = osp.basename(str(image.get('file_name', '')))
            self._by_name[name] = boxes
            index = _stem_index(name)
            if index is not None:
                self._by_index[index] = boxes
        if frame_names is not None and not any(n in self._by_name for n in frame_names):
            raise BadFileError(f'box file {path} names none of the frames (its file names: '
                               f'{list(self._by_name)[:3]}, the frames: {list(frame_names)[:3]}); '
                               'pass the box file of these frames')
        if frame_names is None and not self._by_index:
            raise BadFileError(f'box file {path}: no image file name is a frame number (e.g. 000000.jpg for the '
                               f'first frame of a video); got {list(self._by_name)[:3]}')

    def __call__(self, index: int, name: str, is_folder: bool) -> np.ndarray:
        """``(N, 5)`` boxes ``xywh`` + score of one frame (``(0, 5)`` if the file has none)."""
        boxes = self._by_name.get(name) if is_folder else self._by_index.get(index)
        return np.zeros((0, 5)) if boxes is None else boxes
