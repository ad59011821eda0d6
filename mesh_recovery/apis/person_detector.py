"""Person boxes from torchvision's Faster R-CNN, with weights read from a local file."""
import os
from typing import Dict

import numpy as np
import torch
import torchvision

from mesh_recovery.utils.errors import BadFileError, BadValueError, MissingFileError
from mesh_recovery.utils.files import require_file

# torchvision's COCO detectors; their weight files are torchvision's (e.g.
# fasterrcnn_resnet50_fpn_coco-258fb6c6.pth), downloaded by the user, never by us.
ARCHS = {
    'fasterrcnn_resnet50_fpn': torchvision.models.detection.fasterrcnn_resnet50_fpn,
    'fasterrcnn_resnet50_fpn_v2': torchvision.models.detection.fasterrcnn_resnet50_fpn_v2,
    'fasterrcnn_mobilenet_v3_large_fpn': torchvision.models.detection.fasterrcnn_mobilenet_v3_large_fpn,
    'fasterrcnn_mobilenet_v3_large_320_fpn': torchvision.models.detection.fasterrcnn_mobilenet_v3_large_320_fpn,
}
# Label of 'person' in torchvision's COCO category list (index 0 is the background).
PERSON_LABEL = 1
NUM_COCO_CLASSES = 91


class PersonDetector:
    """Detect people in BGR frames with a torchvision Faster R-CNN.

    The network is built with ``weights=None, weights_backbone=None`` (nothing
    is downloaded) and loaded strictly from ``weights``.

    Args:
        weights: Local state dict of the architecture (a plain state dict or a
            dict with ``state_dict`` / ``model``).
        arch: One of :data:`ARCHS`.
        score_threshold: Keep person detections scoring at least this.
        max_people: Keep at most this many, highest score first.
        device: Torch device.
        min_size: Shorter image side the detector resizes to (torchvision's
            default 800; smaller is faster and misses small people).
    """

    def __init__(self, weights: str, arch: str = 'fasterrcnn_resnet50_fpn', score_threshold: float = 0.5,
                 max_people: int = 10, device: str = 'cpu', min_size: int = 800) -> None:
        if arch not in ARCHS:
            raise BadValueError(f'detector arch {arch!r} is not one of {sorted(ARCHS)}')
        if not os.path.exists(weights):
            raise MissingFileError(f'person detector weights {weights} do not exist (cwd {os.getcwd()}); download '
                                   f"torchvision's {arch} COCO weights and pass their path, or use a box file "
                                   'or the whole frame instead')
        require_file(weights, 'person detector weights')
        if not 0.0 <= score_threshold <= 1.0 or max_people < 1:
            raise BadValueError(f'score_threshold must be in [0, 1] and max_people >= 1, got {score_threshold}, '
                                f'{max_people}')
        self.score_threshold, self.max_people, self.device = float(score_threshold), int(max_people), device
        self.net = ARCHS[arch](weights=None, weights_backbone=None, num_classes=NUM_COCO_CLASSES,
                               min_size=int(min_size))
        self.net.load_state_dict(self._read(weights, arch), strict=True)
        self.net.to(device).eval()

    def _read(self, path: str, arch: str) -> Dict[str, torch.Tensor]:
        try:
            state = torch.load(path, map_location='cpu', weights_only=True)
        except Exception as exc:  # torch raises many kinds on foreign files
            raise BadFileError(f'{path}: cannot be read as a torchvision state dict ({exc})') from exc
        for key in ('state_dict', 'model'):
            if isinstance(state, dict) and isinstance(state.get(key), dict):
                state = state[key]
        own = self.net.state_dict()
        missing, unexpected = sorted(set(own) - set(state)), sorted(set(state) - set(own))
        if missing or unexpected:
            raise BadFileError(f'{path} is not a {arch} state dict: {len(missing)} keys missing (e.g. '
                               f'{missing[:3]}), {len(unexpected)} unexpected (e.g. {unexpected[:3]})')
        return state

    @torch.no_grad()
    def __call__(self, image: np.ndarray) -> Dict[str, np.ndarray]:
        """Person boxes of one frame.

        Args:
            image: ``(H, W, 3)`` uint8 BGR.

        Returns:
            ``bboxes`` ``(N, 4)`` float64 ``xyxy`` px and ``scores`` ``(N,)``, highest score first.
        """
        rgb = torch.from_numpy(np.ascontiguousarray(image[:, :, ::-1])).permute(2, 0, 1)
        out = self.net([rgb.to(self.device, torch.float32).div_(255.0)])[0]
        keep = (out['labels'] == PERSON_LABEL) & (out['scores'] >= self.score_threshold)
        boxes, scores = out['boxes'][keep].cpu().double(), out['scores'][keep].cpu().double()
        order = torch.argsort(scores, descending=True)[:self.max_people]
        return dict(bboxes=boxes[order].numpy().reshape(-1, 4), scores=scores[order].numpy())

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(score_threshold={self.score_threshold}, max_people={self.max_people}, '
                f'device={self.device!r})')

