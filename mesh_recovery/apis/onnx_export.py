"""Export a mesh estimator to ONNX: image crop in, SMPL parameters, camera, joints and vertices out.

The exported graph is :class:`~mesh_recovery.apis.exportable_mesh.ExportableMesh`: the config's input normalisation,
the backbone, the head, and the SMPL layer, in float32. Two things differ from
``model.predict`` on purpose:

- the backbone runs in float32 even where the config asks for bfloat16
  autocast (onnxruntime's CPU kernels are float32);
- the SMPL layer is traced on its reference path (``lbs`` in
  ``mesh_recovery/body_models/lbs.py``), with its CPU fast path switched off
  (``SMPL.fast_cpu = False`` while exporting). The fast path (CPU batches of
  ``FAST_CPU_MIN_BATCH`` or more, ``fast_cpu_body.py``) writes chunks into a preallocated buffer,
  calls a private oneDNN kernel and transposes with OpenCV: none of these has
  an ONNX form, and the reference gives the same numbers. The graph has a dynamic batch dimension.

The TorchScript-based exporter (``torch.onnx.export(..., dynamo=False)``) is
used: it turns every torch operator into ONNX or names the one it cannot, and
it needs no extra package beyond ``onnx``.
"""
import contextlib
import re
import warnings
from typing import Dict, Iterator, NamedTuple, Optional

import numpy as np
import torch
from torch import Tensor, nn

from mesh_recovery.utils.errors import UserError

from .exportable_mesh import OUTPUT_NAMES, ExportableMesh

INPUT_NAME = 'crops'
DEFAULT_OPSET = 17
# The batch of the example crops the graph is traced with (the graph's batch is dynamic).
TRACE_BATCH = 2


class ExportError(UserError, RuntimeError):
    """The model cannot be exported, or its ONNX outputs differ from PyTorch's."""


class ExportCheck(NamedTuple):
    """Largest absolute difference between onnxruntime and PyTorch, per output.

    Attributes:
        max_abs_diff: Output name -> max |onnxruntime - PyTorch| (units of the output).
        batch_size: Batch of the random crops the check ran on.
    """
    max_abs_diff: Dict[str, float]
    batch_size: int


@contextlib.contextmanager
def float32_export(model: nn.Module) -> Iterator[None]:
    """Eval mode, float32 backbone (no autocast), SMPL's reference path and no autograd while inside."""
    backbone, body = model.backbone, model.smpl
    previous = getattr(backbone, 'autocast_dtype', None)
    fast_cpu = getattr(body, 'fast_cpu', None)
    was_training = model.training
    try:
        if hasattr(backbone, 'autocast_dtype'):
            backbone.autocast_dtype = None
        if fast_cpu is not None:
            body.fast_cpu = False
        model.eval()
        with torch.no_grad():
            yield
    finally:
        if hasattr(backbone, 'autocast_dtype'):
            backbone.autocast_dtype = previous
        if fast_cpu is not None:
            body.fast_cpu = fast_cpu
        model.train(was_training)


def example_crops(img_res: int, batch_size: int, seed: int = 0) -> Tensor:
    """``(B, 3, img_res, img_res)`` float32 random BGR pixel values in [0, 255]."""
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(batch_size, 3, img_res, img_res, generator=gen) * 255.0


def _operator_name(exc: BaseException) -> Optional[str]:
    """The operator named in a torch.onnx or onnxruntime error message, if any."""
    text = str(exc)
    for pattern in (r"operator '([\w:.]+)'", r'implementation for (\w+\(\d+\))', r'op_type[=:]\s*(\w+)',
                    r'(aten::\w+|prim::\w+|mkldnn::\w+)'):
        found = re.search(pattern, text)
        if found:
            return found.group(1)
    return None


def export_onnx(model: nn.Module, path: str, opset: int = DEFAULT_OPSET, source: str = 'this model') -> str:
    """Trace ``ExportableMesh(model)`` into an ONNX file with a dynamic batch dimension.

    Args:
        model: A ``ParametricMesh`` on the CPU.
        path: Output ``.onnx`` path.
        opset: ONNX opset version.
        source: What to call the model in error messages (e.g. the config path).

    Returns:
        ``path``.

    Raises:
        ExportError: If an operator has no ONNX form (the message names it).
    """
    wrapper = ExportableMesh(model)
    crops = example_crops(wrapper.img_res, TRACE_BATCH)
    dynamic = {INPUT_NAME: {0: 'batch'}}
    dynamic.update({name: {0: 'batch'} for name in OUTPUT_NAMES})
    with float32_export(model), warnings.catch_warnings():
        # The TorchScript-based exporter is deprecated in favour of the dynamo one (see the module docstring).
        warnings.simplefilter('ignore', DeprecationWarning)
        warnings.filterwarnings('ignore', category=torch.jit.TracerWarning)
        try:
            torch.onnx.export(wrapper, (crops, ), path, dynamo=False, opset_version=opset,
                              input_names=[INPUT_NAME], output_names=list(OUTPUT_NAMES), dynamic_axes=dynamic,
                              do_constant_folding=True)
        except (torch.onnx.errors.OnnxExporterError, RuntimeError) as exc:
            operator = _operator_name(exc)
            if operator is None:
                raise
            raise ExportError(f'{source}: operator {operator} cannot be exported to ONNX opset {opset} '
                              f'({str(exc).splitlines()[0]}); try another --opset, or change the part of '
                              'the model that uses it') from exc
    return path


def pytorch_outputs(model: nn.Module, crops: Tensor) -> Dict[str, np.ndarray]:
    """The outputs of the exported graph, computed by PyTorch (same float32 settings)."""
    wrapper = ExportableMesh(model)
    with float32_export(model):
        outputs = wrapper(crops)
    return {name: out.detach().numpy() for name, out in zip(OUTPUT_NAMES, outputs)}


def onnxruntime_session(path: str, source: str = 'this model', num_threads: Optional[int] = None):
    """A CPU onnxruntime session of ``path``; an operator it lacks is named in the error."""
    try:
        import onnxruntime as ort
    except ImportError as exc:
        raise ExportError('onnxruntime is not installed: pip install -e ".[deploy]" '
                          '(or pip install -r requirements/deploy.txt)') from exc
    options = ort.SessionOptions()
    if num_threads is not None:
        options.intra_op_num_threads = int(num_threads)
    try:
        return ort.InferenceSession(path, sess_options=options, providers=['CPUExecutionProvider'])
    except Exception as exc:  # onnxruntime raises its own pybind classes
        operator = _operator_name(exc)
        raise ExportError(f'{source}: onnxruntime cannot run {path}'
                          + (f': operator {operator} is not implemented' if operator else f': {exc}')) from exc


def check_onnx(model: nn.Module, path: str, batch_size: int = 3, source: str = 'this model') -> ExportCheck:
    """Run the ONNX file in onnxruntime and PyTorch on the same random crops and compare.

    A batch other than the tracing batch (2) also checks the dynamic batch dimension.

    Returns:
        The largest absolute difference of each output.
    """
    crops = example_crops(int(model.img_res), batch_size, seed=1)
    expected = pytorch_outputs(model, crops)
    session = onnxruntime_session(path, source)
    got = dict(zip(OUTPUT_NAMES, session.run(list(OUTPUT_NAMES), {INPUT_NAME: crops.numpy()})))
    diffs = {}
    for name in OUTPUT_NAMES:
        if got[name].shape != expected[name].shape:
            raise ExportError(f'{path}: output {name} has shape {got[name].shape} in onnxruntime but '
                              f'{expected[name].shape} in PyTorch (batch {batch_size})')
        diffs[name] = float(np.abs(got[name].astype(np.float64) - expected[name]).max())
    return ExportCheck(max_abs_diff=diffs, batch_size=batch_size)


__all__ = ['DEFAULT_OPSET', 'ExportCheck', 'ExportError', 'ExportableMesh', 'INPUT_NAME', 'OUTPUT_NAMES', 'TRACE_BATCH',
           'check_onnx', 'example_crops', 'export_onnx', 'float32_export', 'onnxruntime_session', 'pytorch_outputs']
