"""High-level inference: build a model from a config and recover one mesh per person box.

The model sees each person through the crop its test pipeline makes: the square
box of side ``scale * 200`` px centred on ``center`` is warped to ``img_res`` px,
and the predicted weak-perspective camera ``(s, tx, ty)`` belongs to a virtual
pinhole camera of focal length ``f`` (5000 px) centred on that crop (docs/conventions.md, weak-perspective camera).
Crop pixels are ``c = zoom * (p - center) + img_res / 2`` with
``zoom = img_res / (scale * 200)``, and the crop camera projects a camera-frame
point to ``c = f * (X, Y) / Z + img_res / 2``; hence
``p = center + (f / zoom) * (X, Y) / Z``: in the full image the same points are
seen by a pinhole camera of focal length ``f * scale * 200 / img_res`` whose
principal point is the box centre (:meth:`PersonMesh.image_camera`).
"""
import copy
from pathlib import Path
from typing import Callable, List, NamedTuple, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import default_collate
from mmengine.registry import DefaultScope

from mesh_recovery.datasets.pipeline import build_pipeline
from mesh_recovery.datasets.seeding import AUG_SEED_KEY
from mesh_recovery.datasets.transforms import LoadImageFromFile, PackMeshInputs
from mesh_recovery.geometry.camera import weak_perspective_to_translation
from mesh_recovery.registry import MODELS
from mesh_recovery.utils.errors import MissingFileError
from mesh_recovery.utils.files import load_config
from mesh_recovery.visualization import PerspectiveCamera

# SPIN's demo: a tight person box is enlarged by 1.2 to make the crop, as in the
# training annotations (box side = 1.2 x the person's extent).
BOX_PADDING = 1.2
BOX_UNIT_PX = 200.0  # SPIN / mmpose: box side = scale * 200 px
BBOX_FORMATS = ('xywh', 'xyxy')


class PersonMesh(NamedTuple):
    """The mesh recovered for one person box.

    Attributes:
        vertices: ``(V, 3)`` float32 mesh vertices, metres, in the camera frame
            (OpenCV: x right, y down, z forward) = body vertices + ``camera_translation``.
        faces: ``(F, 3)`` int64 0-based triangle vertex indices.
        keypoints_3d: ``(24, 3)`` float32 SPIN-24 joints (regressor @ vertices), metres, same frame.
        camera: ``(3,)`` predicted weak-perspective camera ``(s, tx, ty)``.
        camera_translation: ``(3,)`` ``[tx, ty, 2 f / (img_res s + 1e-9)]``, metres.
        pose: ``(24, 3, 3)`` SMPL joint rotation matrices, global orientation first.
        betas: ``(10,)`` shape coefficients.
        bbox: ``(4,)`` the person box ``(x1, y1, x2, y2)`` in image px, before padding.
        center: ``(2,)`` crop centre in image px.
        scale: Crop side / 200 px (padding included).
        focal_length: Focal length in image px of the camera that sees ``vertices``
            in the full image: ``f * scale * 200 / img_res``.
    """

    vertices: np.ndarray
    faces: np.ndarray
    keypoints_3d: np.ndarray
    camera: np.ndarray
    camera_translation: np.ndarray
    pose: np.ndarray
    betas: np.ndarray
    bbox: np.ndarray
    center: np.ndarray
    scale: float
    focal_length: float

    def image_camera(self) -> PerspectiveCamera:
        """The full-image pinhole camera of this person's ``vertices`` (see the module docstring).

        Returns:
            Identity extrinsics, focal length ``focal_length`` px, principal point ``center``.
        """
        return PerspectiveCamera(focal_length=(self.focal_length, self.focal_length),
                                 principal_point=(float(self.center[0]), float(self.center[1])))


def boxes_to_center_scale(bboxes: np.ndarray, bbox_format: str = 'xywh',
                          padding: float = BOX_PADDING) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Person boxes to SPIN crops: centre = box centre, scale = max(w, h) * padding / 200.

    Args:
        bboxes: ``(N, 4)`` boxes in px, or ``(N, 5)`` with a trailing score (ignored).
        bbox_format: ``'xywh'`` (COCO: top-left corner, width, height) or ``'xyxy'``.
        padding: Crop side / longer box side; 1.2 for tight detector boxes (SPIN),
            1.0 when the boxes are already crops (e.g. the SPIN npz ``center``/``scale``).

    Returns:
        ``(N, 2)`` centres px, ``(N,)`` scales, ``(N, 4)`` boxes as ``xyxy`` (all float64).

    Raises:
        ValueError: On a wrong shape or format, non-finite values, an empty box or a bad padding.
    """
    if bbox_format not in BBOX_FORMATS:
        raise ValueError(f'bbox_format must be one of {BBOX_FORMATS}, got {bbox_format!r}')
    if not (np.isfinite(padding) and padding > 0):
        raise ValueError(f'bbox padding must be a positive factor (1.2 for tight boxes), got {padding}')
    boxes = np.asarray(bboxes, dtype=np.float64)
    if boxes.size == 0:
        boxes = boxes.reshape(0, 4)
    if boxes.ndim == 1 and boxes.shape[0] in (4, 5):
        boxes = boxes[None]
    if boxes.ndim != 2 or boxes.shape[1] not in (4, 5):
        raise ValueError(f'bboxes must have shape (N, 4) or (N, 5) ({bbox_format}[, score]), got {boxes.shape}')
    boxes = boxes[:, :4]
    if not np.all(np.isfinite(boxes)):
        raise ValueError(f'bboxes contain NaN or inf: {boxes[~np.isfinite(boxes).all(axis=1)].tolist()}')
    if bbox_format == 'xywh':
        boxes = np.concatenate([boxes[:, :2], boxes[:, :2] + boxes[:, 2:]], axis=1)
    size = boxes[:, 2:] - boxes[:, :2]
    empty = np.flatnonzero((size <= 0).any(axis=1))
    if empty.size:
        raise ValueError(f'bboxes {empty.tolist()} have no area (as xyxy: {boxes[empty].tolist()}); '
                         f'check bbox_format (given {bbox_format!r})')
    centers = 0.5 * (boxes[:, :2] + boxes[:, 2:])
    scales = size.max(axis=1) * float(padding) / BOX_UNIT_PX
    return centers, scales, boxes


def init_model(config: Union[str, Path, Config], checkpoint: Optional[str] = None, device: str = 'cpu',
               cfg_options: Optional[dict] = None) -> torch.nn.Module:
    """Build the estimator of a config for inference, optionally loading a checkpoint.

    Without ``checkpoint`` the backbone and head keep their random initial
    weights (the head starts from the mean parameters, so the meshes show a
    near-mean body): useful for tests, not for results.

    Args:
        config: Config file path or ``Config``; its ``model`` is built with
            ``return_vertices=True`` in the ``mesh_recovery`` scope, and the
            config is kept as ``model.cfg`` (its test pipeline makes the crops).
        checkpoint: Our checkpoint or an mmpose 0.x HMR ``.pth``, loaded
            strictly with weights-only unpickling (``mesh_recovery.engine.load_checkpoint``).
        device: Torch device of the model, e.g. ``'cpu'`` or ``'cuda:0'``.
        cfg_options: Overrides merged into the config first (``Config.merge_from_dict``).

    Returns:
        The model in eval mode on ``device``.

    Raises:
        FileNotFoundError: If a body-model file of the config or the checkpoint is missing.
        CheckpointMismatchError: If the checkpoint does not fit the config's model.
    """
    from mesh_recovery.engine.checkpoint import load_checkpoint
    from mesh_recovery.utils.asset_check import check_model_files

    if isinstance(config, (str, Path)):
        cfg = load_config(str(config))
    elif isinstance(config, Config):
        cfg = copy.deepcopy(config)
    else:
        raise TypeError(f'config must be a file path or an mmengine Config, got {type(config).__name__}')
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if not cfg.get('model'):
        raise KeyError(f'config {getattr(cfg, "filename", None) or config} has no "model" entry')
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg['return_vertices'] = True
    missing = [status.describe() for status in check_model_files(model_cfg) if not status.ok]
    if missing:
        raise MissingFileError('the model of this config needs files that are missing or invalid:\n'
                                + '\n'.join(missing) + '\n(paths are relative to the current directory, '
                                'normally the repository root)')
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mesh_recovery')):
        model = MODELS.build(model_cfg)
    if checkpoint is not None:
        load_checkpoint(model, str(checkpoint), map_location='cpu')
    model.cfg = cfg
    return model.to(device).eval()


def _test_pipeline(model: torch.nn.Module) -> Tuple[Optional[Callable], List[Callable]]:
    """The model config's test transforms, split into (image loader or None, the rest)."""
    cfg = getattr(model, 'cfg', None)
    pipeline = None
    if cfg is not None:
        dataset = (cfg.get('test_dataloader') or {}).get('dataset') or {}
        pipeline = dataset.get('pipeline') or cfg.get('test_pipeline')
    if pipeline is None:
        pipeline = [dict(type='MeshAffine', img_res=model.img_res), dict(type='PackMeshInputs')]
    transforms = build_pipeline(copy.deepcopy(list(pipeline)))
    for transform in transforms:
        if isinstance(transform, PackMeshInputs):
            transform.with_gt = False  # images without annotations: no ground truth to pack
    loaders = [t for t in transforms if isinstance(t, LoadImageFromFile)]
    rest = [t for t in transforms if not isinstance(t, LoadImageFromFile)]
    return (loaders[0] if loaders else None), rest


def _read_image(image: Union[str, Path, np.ndarray], loader: Optional[Callable]) -> Tuple[np.ndarray, Optional[str]]:
    if isinstance(image, (str, Path)):
        path = str(image)
        if loader is not None:
            img = loader({'img_path': path})['img']
        else:
            img = cv2.imread(path, cv2.IMREAD_COLOR)
            if img is None:
                raise MissingFileError(f'image {path} does not exist or cannot be decoded')
    elif isinstance(image, np.ndarray):
        img, path = image, None
    else:
        raise TypeError(f'image must be a file path or a (H, W, 3) uint8 BGR array, got {type(image).__name__}')
    if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
        raise ValueError(f'image {path or "array"} must be (H, W, 3) uint8 BGR, got {img.shape} {img.dtype}; '
                         'convert grayscale with cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)')
    return img, path


def _crop_inputs(img: np.ndarray, path: Optional[str], centers: np.ndarray, scales: np.ndarray,
                 transforms: Sequence[Callable]) -> List[dict]:
    """Run the test transforms on one annotation-free sample per person."""
    samples = []
    for i, (center, scale) in enumerate(zip(centers, scales)):
        results = dict(
            img=img, img_path=path, img_shape=img.shape[:2], ori_shape=img.shape[:2],
            center=center.astype(np.float32), scale=np.float32(scale), rotation=np.float32(0.0), sample_idx=i)
        results[AUG_SEED_KEY] = (0, 0, 0, i)
        for transform in transforms:
            results = transform(results)
            if results is None:
                raise RuntimeError(f'the test pipeline dropped person {i} at {transform}')
        samples.append(results)
    return samples


def _predict(model: torch.nn.Module, samples: List[dict], batch_size: int) -> List[dict]:
    predictions = []
    previous = model.return_vertices
    model.return_vertices = True  # the meshes are the point of this API
    try:
        for start in range(0, len(samples), batch_size):
            batch = default_collate(samples[start:start + batch_size])
            if batch['inputs'].shape[-1] != model.img_res or batch['inputs'].shape[-2] != model.img_res:
                raise ValueError(f'the test pipeline makes {tuple(batch["inputs"].shape[-2:])} crops but the '
                                 f'model expects img_res={model.img_res}; make MeshAffine.img_res match')
            predictions += model.test_step(batch)
    finally:
        model.return_vertices = previous
    return predictions


def _person(pred: dict, translation: np.ndarray, bbox: np.ndarray, model: torch.nn.Module) -> PersonMesh:
    scale = float(pred['scale'])
    return PersonMesh(
        vertices=(pred['vertices'] + translation).astype(np.float32),
        faces=np.asarray(pred['faces'], dtype=np.int64),
        keypoints_3d=(pred['keypoints_3d'] + translation).astype(np.float32),
        camera=np.asarray(pred['camera'], np.float32), camera_translation=translation.astype(np.float32),
        pose=np.asarray(pred['smpl_pose'], np.float32), betas=np.asarray(pred['smpl_beta'], np.float32),
        bbox=bbox.astype(np.float32), center=np.asarray(pred['center'], np.float32), scale=scale,
        focal_length=float(model.focal_length * scale * BOX_UNIT_PX / model.img_res))


def inference_model(model: torch.nn.Module, image: Union[str, Path, np.ndarray],
                    bboxes: Optional[np.ndarray] = None, bbox_format: str = 'xywh',
                    bbox_padding: float = BOX_PADDING, batch_size: int = 16) -> List[PersonMesh]:
    """Recover one mesh per person box of an image.

    Each box becomes a SPIN crop (:func:`boxes_to_center_scale`), which the
    model config's test pipeline warps to ``img_res`` (its image loader is
    used once for a path and skipped for an array); the crops are collated
    and run through ``model.test_step``.

    Args:
        model: A ``ParametricMesh``, e.g. from :func:`init_model`.
        image: Image path, or ``(H, W, 3)`` uint8 BGR array (OpenCV order).
        bboxes: ``(N, 4)`` person boxes in px (``(N, 5)`` with a score column is
            accepted); ``None`` takes the whole image as one person's crop
            (centre of the image, side = its longer side, no padding).
        bbox_format: ``'xywh'`` (COCO, the default) or ``'xyxy'``.
        bbox_padding: Crop side / longer box side (1.2: SPIN's factor for tight boxes).
        batch_size: Crops per forward pass.

    Returns:
        One :class:`PersonMesh` per box, in the order of ``bboxes``.
    """
    loader, transforms = _test_pipeline(model)
    img, path = _read_image(image, loader)
    height, width = img.shape[:2]
    if bboxes is None:
        bboxes, bbox_format, bbox_padding = np.array([[0.0, 0.0, width, height]]), 'xywh', 1.0
    centers, scales, boxes = boxes_to_center_scale(bboxes, bbox_format, bbox_padding)
    if len(boxes) == 0:
        return []
    samples = _crop_inputs(img, path, centers, scales, transforms)
    predictions = _predict(model, samples, max(1, int(batch_size)))
    cameras = torch.as_tensor(np.stack([pred['camera'] for pred in predictions]), dtype=torch.float64)
    translations = weak_perspective_to_translation(cameras, model.focal_length, model.img_res).numpy()
    return [_person(*args, model) for args in zip(predictions, translations, boxes)]
