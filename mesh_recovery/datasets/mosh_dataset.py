"""SMPL parameters of the CMU MoSh pose prior (``CMU_mosh.npz``)."""
import copy
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine.dataset import BaseDataset

from mesh_recovery.registry import DATASETS
from mesh_recovery.utils.asset_needs import FileNeed, join_root

from .pipeline import build_pipeline
from .seeding import split_index
from .annotation_format import MOSH_KEYS, NUM_BETAS, NUM_POSE
from .spin_annotations import check_shape, load_npz_arrays


@DATASETS.register_module()
class MoshDataset(BaseDataset):
    """Real SMPL parameters (the adversarial prior), mmpose 0.x compatible.

    Each sample is a dict with ``pose`` (72,) axis-angle, ``beta`` (10,) and
    ``mosh_theta`` (85,) float32 = zeros(3) (camera slot) + pose + betas,
    and ``sample_idx``, passed through ``pipeline`` (empty by default).

    Args:
        ann_file: ``.npz`` with ``pose`` (N, 72) and ``shape`` (N, 10).
        pipeline: Transforms applied to each sample.
        test_mode: mmengine's flag.
        metainfo: Extra meta information.
        data_root: Root joined to a relative ``ann_file``.
        indices: Keep only these samples.
        serialize_data: Ignored (samples are stored as two arrays).
        lazy_init: Defer reading the file until first use.
        backend_args: mmengine file backend arguments.
    """

    METAINFO: dict = dict(dataset_name='mosh')

    @classmethod
    def needed_files(cls, ann_file: str = '', data_root: str = '', **kwargs) -> List[FileNeed]:
        """The ``.npz`` of ``pose`` / ``shape`` a dataset built with these arguments reads (no images)."""
        return [FileNeed('annotation', join_root(data_root, ann_file), check='spin_npz', keys=MOSH_KEYS)]

    def __init__(self,
                 ann_file: str = '',
                 pipeline: Optional[Sequence[Union[dict, Callable]]] = None,
                 test_mode: bool = False,
                 metainfo: Optional[dict] = None,
                 data_root: str = '',
                 indices: Optional[Union[int, Sequence[int]]] = None,
                 serialize_data: bool = True,
                 lazy_init: bool = False,
                 backend_args: Optional[dict] = None) -> None:
        self.backend_args = copy.deepcopy(backend_args)
        self._theta = np.zeros((0, 3 + NUM_POSE + NUM_BETAS), dtype=np.float32)
        super().__init__(
            ann_file=ann_file,
            metainfo=metainfo,
            data_root=data_root,
            data_prefix={},
            indices=indices,
            serialize_data=serialize_data,
            pipeline=build_pipeline(pipeline),
            test_mode=test_mode,
            lazy_init=lazy_init)

    def full_init(self) -> None:
        """Read ``pose`` and ``shape`` into one (N, 85) array."""
        if self._fully_initialized:
            return
        arrays = load_npz_arrays(self.ann_file, MOSH_KEYS, backend_args=self.backend_args)
        pose = check_shape(self.ann_file, 'pose', arrays['pose'], (-1, NUM_POSE))
        betas = check_shape(self.ann_file, 'shape', arrays['shape'], (len(pose), NUM_BETAS))
        theta = np.concatenate([np.zeros((len(pose), 3), np.float32), pose, betas], axis=1)
        if self._indices is not None:
            indices = self._indices
            theta = theta[:indices] if isinstance(indices, int) else theta[np.asarray(indices, np.int64)]
        self._theta = np.ascontiguousarray(theta)
        self._fully_initialized = True

    def __len__(self) -> int:
        self.full_init()
        return len(self._theta)

    def load_data_list(self) -> List[dict]:
        """All samples as dicts."""
        return [self.get_data_info(i) for i in range(len(self))]

    def get_data_info(self, idx: int) -> Dict[str, Any]:
        """Sample ``idx``: ``pose`` (72,), ``beta`` (10,), ``mosh_theta`` (85,)."""
        self.full_init()
        index, _, _ = split_index(idx, len(self), 0)
        theta = self._theta[index].copy()
        return {
            'pose': theta[3:3 + NUM_POSE].copy(),
            'beta': theta[3 + NUM_POSE:].copy(),
            'mosh_theta': theta,
            'sample_idx': index,
        }

    def __getitem__(self, idx: int) -> Any:
        return self.pipeline(self.get_data_info(idx))
