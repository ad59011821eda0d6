"""Recover the meshes of the people in an image; save an overlay PNG and one .obj per person.

Examples (from the repository root):
    python tools/demo.py configs/mesh/hmr/hmr_resnet_50.py IMAGE.jpg \
        --checkpoint models/pytorch/hmr/hmr_mesh_224x224-c21e8229_20201015.pth --bboxes boxes.json
    python tools/demo.py configs/mesh/cliff/cliff_resnet18_synthetic_quickstart.py \
        data/synthetic/images/test/000000.jpg --checkpoint work_dirs/quickstart/epoch_6.pth

Outputs in ``--out-dir``: ``STEM_overlay.png`` (the meshes over the image, and a
side view beside it), ``STEM_person{i}.obj`` (camera-frame vertices in metres,
OpenCV axes: x right, y down, z forward; ``--obj-y-up`` turns them for viewers
that expect y up) and ``STEM_people.json`` (box, crop and cameras per person).

Boxes (``--bboxes``): a COCO-style file with ``images`` and ``annotations``
(the image is found by file name, its non-crowd annotations are the people;
boxes are ``xywh``), or a JSON list of boxes ``[[x, y, w, h], ...]`` or of
``{"bbox": [...]}`` objects, all for this image (``--bbox-format`` says how to
read them). Without ``--bboxes`` the whole image is one person's crop.

Videos: IMAGE may also be a video file or a folder of frames (e.g.
``python tools/demo.py CONFIG clip.mp4 --checkpoint CKPT --detector-weights
fasterrcnn_resnet50_fpn_coco-258fb6c6.pth``). Frames are read once, in order,
and the results are streamed: ``STEM_overlay.mp4`` (meshes, person boxes and
the frame index over each frame; ``--out-video`` picks another name or codec)
and ``STEM_results/%06d.npz`` per frame (pose, betas, camera, boxes;
``--save-vertices`` adds the vertices). Boxes per frame come from ``--bboxes``
(a COCO-style file whose image file names are the frames' names, or
``000012.jpg`` for frame 12 of a video), from torchvision's person detector
(``--detector-weights``, a local file), or else the whole frame is one crop.
See docs/deployment.md.
"""
import argparse
import json
import os
import os.path as osp
import sys
from typing import List, Optional, Tuple

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from mesh_recovery.apis import (BOX_PADDING, inference_model, init_model, render_overlay,  # noqa: E402
                                save_obj)
from mesh_recovery.apis.frame_boxes import FrameBoxes  # noqa: E402
from mesh_recovery.apis.frame_reader import FrameReader, is_video_input  # noqa: E402
from mesh_recovery.apis.onnx_mesh_model import OnnxMeshModel  # noqa: E402
from mesh_recovery.apis.person_detector import ARCHS as DETECTOR_ARCHS  # noqa: E402
from mesh_recovery.apis.person_detector import PersonDetector  # noqa: E402
from mesh_recovery.apis.video_inference import (box_file_source, detector_source, process_video,  # noqa: E402
                                                whole_frame)
from mesh_recovery.apis.video_result_writer import VideoResultWriter  # noqa: E402
from mesh_recovery.utils.errors import BadFileError, run_main  # noqa: E402
from mesh_recovery.utils.files import require_file  # noqa: E402


# Longest side of the overlay of a large image: rendering keeps float depth/colour buffers of this size per person.
MAX_OVERLAY_SIDE = 2048


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='model config file')
    parser.add_argument('image', help='input image, video file or folder of frames')
    parser.add_argument('--checkpoint', help='checkpoint (ours or mmpose 0.x); without it the weights are random')
    parser.add_argument('--bboxes', metavar='JSON', help='person boxes (COCO-style file or a JSON list)')
    parser.add_argument('--bbox-format', choices=('xywh', 'xyxy'), default='xywh',
                        help='format of boxes in a plain JSON list (COCO files are always xywh)')
    parser.add_argument('--bbox-padding', type=float, default=BOX_PADDING,
                        help='crop side / longer box side (1.2 for tight boxes; 1.0 if the boxes are crops)')
    parser.add_argument('--out-dir', default='work_dirs/demo', help='output folder')
    parser.add_argument('--device', default='cpu', help='torch device, e.g. cpu or cuda:0')
    parser.add_argument('--onnx', metavar='ONNX', help='run this file (tools/deployment/pytorch2onnx.py of CONFIG) '
                        'with onnxruntime on the CPU instead of the PyTorch model')
    parser.add_argument('--alpha', type=float, default=1.0, help='mesh opacity over the image')
    parser.add_argument('--side-angle', type=float, default=90.0, help='rotation of the side view, degrees')
    parser.add_argument('--max-overlay-side', type=int, default=MAX_OVERLAY_SIDE,
                        help='draw the overlay of a larger image scaled down to this longest side, px (the renderer '
                        'keeps several full-size float buffers per person); 0 keeps the full size')
    parser.add_argument('--obj-y-up', action='store_true',
                        help='write .obj files with y up and z towards the viewer (rotated 180 deg about x)')
    video = parser.add_argument_group('videos and folders of frames')
    video.add_argument('--detector-weights', metavar='PTH',
                       help="local state dict of torchvision's person detector (--detector-arch)")
    video.add_argument('--detector-arch', default='fasterrcnn_resnet50_fpn', choices=sorted(DETECTOR_ARCHS))
    video.add_argument('--det-score-thr', type=float, default=0.5, help='keep detections scoring at least this')
    video.add_argument('--max-people', type=int, default=10, help='at most this many detections per frame')
    video.add_argument('--det-min-size', type=int, default=800, help='shorter side the detector resizes to')
    video.add_argument('--out-video', help='overlay video (default OUT_DIR/STEM_overlay.mp4; .mkv is lossless)')
    video.add_argument('--fourcc', help='codec of the overlay video (default: from its extension)')
    video.add_argument('--save-vertices', action='store_true', help='store the vertices in the per-frame .npz')
    video.add_argument('--no-progress', action='store_true', help='no progress bar')
    return parser.parse_args(argv)


def _box_row(source: str, where: str, box) -> List[float]:
    """Four finite numbers of one box entry, or an error naming the file and the entry."""
    if not isinstance(box, (list, tuple)) or len(box) not in (4, 5):
        raise BadFileError(f'{source}: {where} is {box!r}; expected [x, y, w, h] (or xyxy with --bbox-format '
                           'xyxy), an optional score, or {"bbox": [...]}')
    try:
        row = [float(v) for v in box[:4]]
    except (TypeError, ValueError):
        raise BadFileError(f'{source}: {where} is {box!r}; its values must be numbers') from None
    if not np.isfinite(row).all():
        raise BadFileError(f'{source}: {where} is {box!r}; its values must be finite')
    return row


def _check_coco(data: dict, source: str) -> None:
    for key in ('images', 'annotations'):
        if not isinstance(data[key], list) or not all(isinstance(e, dict) for e in data[key]):
            raise BadFileError(f'{source}: "{key}" must be a list of objects (COCO format)')
    for index, img in enumerate(data['images']):
        if 'file_name' not in img or 'id' not in img:
            raise BadFileError(f'{source}: images[{index}] is {img!r}; COCO image entries need "file_name" and "id"')


def _coco_boxes(data: dict, image_path: str, source: str) -> np.ndarray:
    """Non-crowd person boxes (xywh) of the COCO image whose file name matches ``image_path``."""
    _check_coco(data, source)
    norm = image_path.replace('\\', '/')
    matches = [img for img in data['images'] if norm.endswith('/' + str(img['file_name']).lstrip('/'))
               or norm == str(img['file_name'])]
    if not matches:
        matches = [img for img in data['images'] if osp.basename(str(img['file_name'])) == osp.basename(norm)]
    if len(matches) != 1:
        names = [str(img['file_name']) for img in data['images'][:5]]
        what = 'no image entry' if not matches else f'{len(matches)} image entries'
        raise BadFileError(f'{source}: {what} with the file name of {image_path} (file names there: {names}'
                         f'{", ..." if len(data["images"]) > 5 else ""}); pass the box file of this image')
    person_ids = {c['id'] for c in data.get('categories', []) if c.get('name') == 'person'}
    boxes = [_box_row(source, f'annotations[{i}].bbox', ann.get('bbox')) for i, ann in enumerate(data['annotations'])
             if ann.get('image_id') == matches[0]['id'] and not ann.get('iscrowd', 0)
             and (not person_ids or ann.get('category_id') in person_ids)]
    return np.asarray(boxes, dtype=np.float64).reshape(-1, 4)


def load_boxes(path: str, image_path: str, bbox_format: str) -> Tuple[np.ndarray, str]:
    """Person boxes of ``image_path`` from a box file (see the module docstring).

    Returns:
        ``(N, 4)`` boxes and their format (``'xywh'`` or ``'xyxy'``).
    """
    require_file(path, 'box file', 'see the --bboxes help for the formats')
    try:
        with open(path, encoding='utf-8') as handle:
            data = json.load(handle)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadFileError(f'box file {path} is not valid JSON ({exc})') from exc
    if isinstance(data, dict) and 'images' in data and 'annotations' in data:
        return _coco_boxes(data, image_path, path), 'xywh'
    if isinstance(data, list):
        rows = []
        for index, item in enumerate(data):
            rows.append(_box_row(path, f'entry {index}', item.get('bbox') if isinstance(item, dict) else item))
        return np.asarray(rows, dtype=np.float64).reshape(-1, 4), bbox_format
    raise BadFileError(f'{path}: expected a COCO-style dict with "images" and "annotations", or a list of '
                     f'[x, y, w, h] boxes / {{"bbox": [...]}} objects; got {type(data).__name__}')


def fit_for_overlay(image: np.ndarray, people: list, max_side: int) -> Tuple[np.ndarray, list]:
    """The image scaled to at most ``max_side`` px, and the people's image cameras scaled with it.

    Vertices stay in metres; scaling the focal length, principal point and boxes by
    the image's factor projects them onto the smaller image exactly.
    """
    longest = max(image.shape[:2])
    if max_side <= 0 or longest <= max_side:
        return image, list(people)
    factor = max_side / longest
    size = (max(1, round(image.shape[1] * factor)), max(1, round(image.shape[0] * factor)))
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    print(f'overlay drawn at {size[0]} x {size[1]} (the image is {image.shape[1]} x {image.shape[0]}; '
          '--max-overlay-side 0 keeps the full size)', file=sys.stderr)
    scaled = [p._replace(center=np.asarray(p.center) * factor, bbox=np.asarray(p.bbox) * factor,
                         scale=p.scale * factor, focal_length=p.focal_length * factor) for p in people]
    return small, scaled


def _person_record(person, obj_path: str) -> dict:
    return dict(bbox_xyxy=person.bbox.tolist(), center=person.center.tolist(), scale=person.scale,
                camera=person.camera.tolist(), camera_translation=person.camera_translation.tolist(),
                focal_length=person.focal_length, obj=osp.basename(obj_path))


def build_model(args: argparse.Namespace):
    """The PyTorch model of the config (and checkpoint), or the ``--onnx`` file run by onnxruntime."""
    if args.onnx is not None:
        if args.checkpoint is not None:
            raise ValueError('--onnx already holds the weights; drop --checkpoint')
        return OnnxMeshModel(args.onnx, args.config)
    if args.checkpoint is None:
        print('warning: no --checkpoint, the model has random weights (the meshes show a near-mean body)',
              file=sys.stderr)
    return init_model(args.config, args.checkpoint, device=args.device)


def video_main(args: argparse.Namespace) -> dict:
    """The demo on a video file or a folder of frames (see the module docstring)."""
    reader = FrameReader(args.image)
    if args.bboxes is not None and args.detector_weights is not None:
        raise ValueError('give either --bboxes or --detector-weights for a video, not both')
    if args.bboxes is not None:
        box_source = box_file_source(FrameBoxes(args.bboxes, reader.frame_names()), reader.is_folder)
    elif args.detector_weights is not None:
        box_source = detector_source(PersonDetector(
            args.detector_weights, arch=args.detector_arch, score_threshold=args.det_score_thr,
            max_people=args.max_people, device=args.device, min_size=args.det_min_size))
    else:
        box_source = whole_frame
    model = build_model(args)
    stem = osp.basename(osp.normpath(args.image)) if reader.is_folder else osp.splitext(osp.basename(args.image))[0]
    video_path = args.out_video or osp.join(args.out_dir, f'{stem}_overlay.mp4')
    results_dir = osp.join(args.out_dir, f'{stem}_results')
    with VideoResultWriter(video_path, results_dir, reader.fps, save_vertices=args.save_vertices,
                           fourcc=args.fourcc) as writer:
        summary = process_video(model, reader, writer, box_source, bbox_padding=args.bbox_padding,
                                alpha=args.alpha, progress=not args.no_progress)
    print(f'{summary.frames} frames, {summary.people} people in {summary.seconds:.1f} s: {summary.fps:.2f} '
          f'frames per second -> {video_path}, {results_dir}/')
    return dict(video=video_path, results_dir=results_dir, frames=summary.frames, fps=summary.fps)


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    if is_video_input(args.image):
        return video_main(args)
    image = cv2.imread(args.image, cv2.IMREAD_COLOR)
    if image is None:
        require_file(args.image, 'image')
        raise BadFileError(f'image {args.image} cannot be decoded (not an image OpenCV reads, or truncated)')
    bboxes, bbox_format = (None, 'xywh') if args.bboxes is None else load_boxes(args.bboxes, args.image,
                                                                                 args.bbox_format)
    model = build_model(args)
    people = inference_model(model, image, bboxes, bbox_format=bbox_format, bbox_padding=args.bbox_padding)
    overlay_image, overlay_people = fit_for_overlay(image, people, args.max_overlay_side)
    overlay = render_overlay(overlay_image, overlay_people, alpha=args.alpha, side_angle_deg=args.side_angle)

    os.makedirs(args.out_dir, exist_ok=True)
    stem = osp.splitext(osp.basename(args.image))[0]
    overlay_path = osp.join(args.out_dir, f'{stem}_overlay.png')
    if not cv2.imwrite(overlay_path, overlay.panels()):
        raise OSError(f'could not write {overlay_path}')
    flip = np.array([1.0, -1.0, -1.0]) if args.obj_y_up else np.ones(3)
    obj_paths, records = [], []
    for i, person in enumerate(people):
        obj_paths.append(save_obj(osp.join(args.out_dir, f'{stem}_person{i}.obj'), person.vertices * flip,
                                  person.faces))
        records.append(_person_record(person, obj_paths[-1]))
    json_path = osp.join(args.out_dir, f'{stem}_people.json')
    with open(json_path, 'w', encoding='utf-8') as handle:
        json.dump(dict(image=args.image, image_size=[image.shape[1], image.shape[0]], img_res=model.img_res,
                       crop_focal_length=model.focal_length, obj_y_up=args.obj_y_up, people=records),
                  handle, indent=1)
    print(f'{len(people)} people -> {overlay_path}, {len(obj_paths)} .obj, {json_path}')
    return dict(overlay=overlay_path, objs=obj_paths, json=json_path)


if __name__ == '__main__':
    sys.exit(run_main(main))
