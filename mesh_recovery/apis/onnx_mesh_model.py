"""An exported ONNX mesh model behind the interface :func:`~mesh_recovery.apis.inference_model` uses."""
import copy
from pathlib import Path
from typing import List, Optional, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mesh_recovery.registry import MODELS
from mesh_recovery.utils.errors import BadValueError
from mesh_recovery.utils.files import load_config, require_file

from .exportable_mesh import OUTPUT_NAMES
from .onnx_export import INPUT_NAME, onnxruntime_session


class OnnxMeshModel:
    """Run a file written by ``tools/deployment/pytorch2onnx.py`` with onnxruntime, like the PyTorch model.

    It has what :func:`~mesh_recovery.apis.inference_model` and the video demo
    read from a model (``cfg``, ``img_res``, ``focal_length``, ``return_vertices``,
    ``test_step``), so images and videos run through onnxruntime unchanged. The
    config gives the test pipeline (the crops), the camera constants and the
    body model's triangles, which the ONNX file does not hold.

    Args:
        onnx_path: The exported ``.onnx`` file.
        config: The config it was exported from (path or ``Config``).
        num_threads: onnxruntime intra-op threads (None: its default).
    """

    def __init__(self, onnx_path: str, config: Union[str, Path, Config], num_threads: Optional[int] = None) -> None:
        require_file(str(onnx_path), 'ONNX model', 'export one with tools/deployment/pytorch2onnx.py')
        self.cfg = copy.deepcopy(config) if isinstance(config, Config) else load_config(str(config))
        model_cfg = self.cfg.model
        self.img_res = int(model_cfg.get('img_res', 224))
        self.focal_length = float(model_cfg.get('focal_length', 5000.0))
        self.return_vertices = True
        with DefaultScope.overwrite_default_scope(self.cfg.get('default_scope', 'mesh_recovery')):
            body = MODELS.build(copy.deepcopy(model_cfg.smpl))
        self.faces = np.asarray(body.faces.cpu(), dtype=np.int64)
        self.session = onnxruntime_session(str(onnx_path), source=str(onnx_path), num_threads=num_threads)
        shape = self.session.get_inputs()[0].shape
        if self.session.get_inputs()[0].name != INPUT_NAME or shape[-1] != self.img_res:
            raise BadValueError(f'{onnx_path}: input {self.session.get_inputs()[0].name} {shape} does not match '
                                f'the config (crops of {self.img_res} px); export it from this config')
        self.num_vertices = body.num_vertices

    def test_step(self, data: dict) -> List[dict]:
        """Predictions of a collated batch, in the format of ``ParametricMesh.predict``."""
        crops = torch.as_tensor(data['inputs']).float().numpy()
        outputs = dict(zip(OUTPUT_NAMES, self.session.run(list(OUTPUT_NAMES), {INPUT_NAME: crops})))
        if outputs['pred_vertices'].shape[1] != self.num_vertices:
            raise BadValueError(f'the ONNX model gives {outputs["pred_vertices"].shape[1]} vertices but the config\'s '
                                f'body model has {self.num_vertices}; export it from this config')
        samples = data.get('data_samples') or {}
        results = []
        for i in range(crops.shape[0]):
            result = dict(keypoints_3d=outputs['pred_keypoints_3d'][i], smpl_pose=outputs['pred_rotmat'][i],
                          smpl_beta=outputs['pred_betas'][i], camera=outputs['pred_camera'][i],
                          vertices=outputs['pred_vertices'][i], faces=self.faces)
            for key in ('center', 'scale'):
                if key in samples:
                    result[key] = np.asarray(samples[key][i])
            results.append(result)
        return results
