"""Export a config's mesh estimator to ONNX and check onnxruntime's outputs against PyTorch.

Examples (from the repository root):
    python tools/deployment/pytorch2onnx.py configs/mesh/hmr/hmr_resnet_50.py \
        models/pytorch/hmr/hmr_mesh_224x224-c21e8229_20201015.pth --out hmr_resnet_50.onnx
    python tools/deployment/pytorch2onnx.py configs/mesh/hmr/hmr_resnet18_synthetic_quickstart.py \
        work_dirs/hmr_quickstart/epoch_6.pth --out quickstart.onnx

The graph takes ``crops`` (B, 3, img_res, img_res) float32, BGR pixel values in
[0, 255] (the test pipeline's crop, before normalisation, which is in the graph)
and returns ``pred_rotmat`` (B, 24, 3, 3), ``pred_betas`` (B, 10), ``pred_camera``
(B, 3), ``pred_camera_translation`` (B, 3) m, ``pred_keypoints_3d`` (B, 24, 3) m and
``pred_vertices`` (B, V, 3) m; B is dynamic. See docs/deployment.md.
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmengine.config import DictAction  # noqa: E402

from mesh_recovery.apis import init_model  # noqa: E402
from mesh_recovery.apis.onnx_export import (DEFAULT_OPSET, ExportError, check_onnx,  # noqa: E402
                                            export_onnx)
from mesh_recovery.utils.errors import DEBUG_FLAG, run_main  # noqa: E402

# The tolerance of the check on vertices, metres (0.1 mm).
VERTEX_TOLERANCE = 1e-4


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', nargs='?', default=None,
                        help='checkpoint (ours or mmpose 0.x); without it the weights are random')
    parser.add_argument('--out', required=True, help='output .onnx file')
    parser.add_argument('--opset', type=int, default=DEFAULT_OPSET, help='ONNX opset version')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, e.g. model.smpl.smpl_path=models/smpl')
    parser.add_argument('--no-verify', action='store_true',
                        help='skip the onnxruntime vs PyTorch comparison (it needs onnxruntime)')
    parser.add_argument('--verify-batch', type=int, default=3,
                        help='batch of random crops for the comparison (not 2, the tracing batch, '
                        'so the dynamic batch dimension is checked too)')
    parser.add_argument('--tolerance', type=float, default=VERTEX_TOLERANCE,
                        help='largest allowed |onnxruntime - PyTorch| on vertices, metres')
    parser.add_argument(DEBUG_FLAG, action='store_true', help='show the Python traceback of user errors too')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    if not args.out.endswith('.onnx'):
        raise ExportError(f'--out must name a .onnx file, got {args.out}')
    if args.checkpoint is None:
        print('warning: no checkpoint, the exported model has random weights', file=sys.stderr)
    model = init_model(args.config, args.checkpoint, device='cpu', cfg_options=args.cfg_options)
    parent = osp.dirname(args.out)
    if parent:
        os.makedirs(parent, exist_ok=True)
    export_onnx(model, args.out, opset=args.opset, source=args.config)
    size_mb = osp.getsize(args.out) / 2**20
    print(f'exported {args.config} -> {args.out} ({size_mb:.1f} MiB, opset {args.opset}, dynamic batch)')
    result = dict(onnx=args.out, max_abs_diff=None)
    if args.no_verify:
        return result
    check = check_onnx(model, args.out, batch_size=args.verify_batch, source=args.config)
    for name, diff in check.max_abs_diff.items():
        print(f'  max |onnxruntime - pytorch| {name:<24} {diff:.3g}')
    worst = check.max_abs_diff['pred_vertices']
    if not worst < args.tolerance:
        raise ExportError(f'{args.out}: vertices differ by up to {worst:.3g} m between onnxruntime and PyTorch '
                          f'(tolerance {args.tolerance:g} m, batch {check.batch_size}); the export is not faithful')
    print(f'check passed: vertices within {args.tolerance:g} m at batch {check.batch_size}')
    result['max_abs_diff'] = check.max_abs_diff
    return result


if __name__ == '__main__':
    sys.exit(run_main(main))
