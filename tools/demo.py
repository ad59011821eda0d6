"""Recover the meshes of the people in an image; save an overlay PNG and one .obj per person.

Examples (from the repository root):
    python tools/demo.py configs/mesh/hmr/hmr_resnet_50.py IMAGE.jpg \
        --checkpoint models/pytorch/hmr/hmr_mesh_224x224-c21e8229_20201015.pth --bboxes boxes.json
    python tools/demo.py configs/mesh/hmr/hmr_resnet18_synthetic_quickstart.py \
        data/synthetic/images/test/000000.jpg --checkpoint work_dirs/quickstart/epoch_8.pth

Outputs in ``--out-dir``: ``STEM_overlay.png`` (the meshes over the image, and a
side view beside it), ``STEM_person{i}.obj`` (camera-frame vertices in metres,
OpenCV axes: x right, y down, z forward; ``--obj-y-up`` turns them for viewers
that expect y up) and ``STEM_people.json`` (box, crop and cameras per person).

Boxes (``--bboxes``): a COCO-style file with ``images`` and ``annotations``
(the image is found by file name, its non-crowd annotations are the people;
boxes are ``xywh``), or a JSON list of boxes ``[[x, y, w, h], ...]`` or of
``{"bbox": [...]}`` objects, all for this image (``--bbox-format`` says how to
read them). Without ``--bboxes`` the whole image is one person's crop.
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


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='model config file')
    parser.add_argument('image', help='input image')
    parser.add_argument('--checkpoint', help='checkpoint (ours or mmpose 0.x); without it the weights are random')
    parser.add_argument('--bboxes', metavar='JSON', help='person boxes (COCO-style file or a JSON list)')
    parser.add_argument('--bbox-format', choices=('xywh', 'xyxy'), default='xywh',
                        help='format of boxes in a plain JSON list (COCO files are always xywh)')
    parser.add_argument('--bbox-padding', type=float, default=BOX_PADDING,
                        help='crop side / longer box side (1.2 for tight boxes; 1.0 if the boxes are crops)')
    parser.add_argument('--out-dir', default='work_dirs/demo', help='output folder')
    parser.add_argument('--device', default='cpu', help='torch device, e.g. cpu or cuda:0')
    parser.add_argument('--alpha', type=float, default=1.0, help='mesh opacity over the image')
    parser.add_argument('--side-angle', type=float, default=90.0, help='rotation of the side view, degrees')
    parser.add_argument('--obj-y-up', action='store_true',
                        help='write .obj files with y up and z towards the viewer (rotated 180 deg about x)')
    return parser.parse_args(argv)


def _coco_boxes(data: dict, image_path: str, source: str) -> np.ndarray:
    """Non-crowd person boxes (xywh) of the COCO image whose file name matches ``image_path``."""
    norm = image_path.replace('\\', '/')
    matches = [img for img in data['images'] if norm.endswith('/' + str(img['file_name']).lstrip('/'))
               or norm == str(img['file_name'])]
    if not matches:
        matches = [img for img in data['images'] if osp.basename(str(img['file_name'])) == osp.basename(norm)]
    if len(matches) != 1:
        names = [str(img['file_name']) for img in data['images'][:5]]
        what = 'no image entry' if not matches else f'{len(matches)} image entries'
        raise ValueError(f'{source}: {what} with the file name of {image_path} (file names there: {names}'
                         f'{", ..." if len(data["images"]) > 5 else ""}); pass the box file of this image')
    person_ids = {c['id'] for c in data.get('categories', []) if c.get('name') == 'person'}
    boxes = [ann['bbox'] for ann in data.get('annotations', [])
             if ann.get('image_id') == matches[0]['id'] and not ann.get('iscrowd', 0)
             and (not person_ids or ann.get('category_id') in person_ids)]
    return np.asarray(boxes, dtype=np.float64).reshape(-1, 4)


def load_boxes(path: str, image_path: str, bbox_format: str) -> Tuple[np.ndarray, str]:
    """Person boxes of ``image_path`` from a box file (see the module docstring).

    Returns:
        ``(N, 4)`` boxes and their format (``'xywh'`` or ``'xyxy'``).
    """
    with open(path, encoding='utf-8') as handle:
        data = json.load(handle)
    if isinstance(data, dict) and 'images' in data and 'annotations' in data:
        return _coco_boxes(data, image_path, path), 'xywh'
    if isinstance(data, list):
        rows = []
        for index, item in enumerate(data):
            box = item.get('bbox') if isinstance(item, dict) else item
            if not isinstance(box, (list, tuple)) or len(box) not in (4, 5):
                raise ValueError(f'{path}: entry {index} is {item!r}; expected [x, y, w, h] (or xyxy with '
                                 '--bbox-format xyxy), an optional score, or {"bbox": [...]}')
            rows.append([float(v) for v in box[:4]])
        return np.asarray(rows, dtype=np.float64).reshape(-1, 4), bbox_format
    raise ValueError(f'{path}: expected a COCO-style dict with "images" and "annotations", or a list of '
                     f'[x, y, w, h] boxes / {{"bbox": [...]}} objects; got {type(data).__name__}')


def _person_record(person, obj_path: str) -> dict:
    return dict(bbox_xyxy=person.bbox.tolist(), center=person.center.tolist(), scale=person.scale,
                camera=person.camera.tolist(), camera_translation=person.camera_translation.tolist(),
                focal_length=person.focal_length, obj=osp.basename(obj_path))


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    image = cv2.imread(args.image, cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(f'image {args.image} does not exist or cannot be decoded')
    bboxes, bbox_format = (None, 'xywh') if args.bboxes is None else load_boxes(args.bboxes, args.image,
                                                                                 args.bbox_format)
    if args.checkpoint is None:
        print('warning: no --checkpoint, the model has random weights (the meshes show a near-mean body)',
              file=sys.stderr)
    model = init_model(args.config, args.checkpoint, device=args.device)
    people = inference_model(model, image, bboxes, bbox_format=bbox_format, bbox_padding=args.bbox_padding)
    overlay = render_overlay(image, people, alpha=args.alpha, side_angle_deg=args.side_angle)

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
    main()
