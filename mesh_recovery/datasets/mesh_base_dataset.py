"""Mesh recovery dataset over a SPIN / mmpose 0.x annotation ``.npz`` file."""
import copy
import os.path as osp
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.fileio import join_path

from mesh_recovery.registry import DATASETS
from mesh_recovery.utils.asset_needs import FileNeed, join_root

from .pipeline import build_pipeline
from .seeding import AUG_SEED_KEY, split_index
from .annotation_checks import check_annotation_values
from .annotation_format import NUM_JOINTS, REQUIRED_KEYS
from .spin_annotations import load_spin_annotations

# mmpose 0.x ``data_cfg`` keys of mesh datasets.
_DATA_CFG_KEYS = ('image_size', 'iuv_size', 'num_joints', 'use_IUV', 'uv_type')


def check_data_cfg(data_cfg: Optional[dict]) -> Optional[int]:
    """Validate an mmpose 0.x ``data_cfg``; return its square image size or None.

    Raises:
        ValueError: Unknown keys, ``num_joints`` other than 24, ``use_IUV``, or a
            non-square ``image_size``.
    """
    if data_cfg is None:
        return None
    unknown = sorted(set(data_cfg) - set(_DATA_CFG_KEYS))
    if unknown:
        raise ValueError(f'data_cfg has unknown keys {unknown}; known: {list(_DATA_CFG_KEYS)}')
    if data_cfg.get('num_joints', NUM_JOINTS) != NUM_JOINTS:
        raise ValueError(f"data_cfg['num_joints'] must be {NUM_JOINTS} (SPIN-24), "
                         f"got {data_cfg['num_joints']}")
    if data_cfg.get('use_IUV', False):
        raise ValueError("data_cfg['use_IUV']=True: IUV maps are not supported; set it to False")
    size = data_cfg.get('image_size')
    if size is None:
        return None
    size = [int(s) for s in np.atleast_1d(size)]
    if len(size) not in (1, 2) or size[0] != size[-1]:
        raise ValueError(f"data_cfg['image_size'] must be square, got {size}")
    return size[0]


@DATASETS.register_module()
class MeshBaseDataset(BaseDataset):
    """Samples of one SPIN-format annotation file (docs/data_contract.md), mmpose 0.x compatible.

    Each sample's data info (the pipeline input) holds: ``img_path`` (str),
    ``center`` (2,) px, ``scale`` () box side / 200, ``keypoints_2d`` (24, 3)
    px + visibility, ``keypoints_3d`` (24, 4) metres + confidence, ``pose``
    (72,) SMPL axis-angle, ``betas`` (10,), ``has_smpl`` () 0/1, ``gender`` ()
    -1/0/1, ``rotation`` () 0, ``sample_idx`` and ``aug_seed`` (a tuple of ints
    determined by ``(seed, sampler seed, epoch, index)`` from which the random
    transforms draw; see :mod:`mesh_recovery.datasets.seeding`).

    Annotations are stored as column arrays, not one dict per sample, so
    ``serialize_data`` has nothing to do (accepted for config compatibility).

    Args:
        ann_file: The ``.npz`` annotation file, relative to ``data_root`` if set.
        img_prefix: mmpose 0.x name of the image folder (``data_prefix['img']``).
        data_cfg: mmpose 0.x ``data_cfg``; validated (24 joints, no IUV) and its
            ``image_size`` checked against the pipeline's ``MeshAffine``.
        pipeline: Transforms (configs or callables).
        test_mode: Evaluation mode (mmengine's flag).
        metainfo: Extra meta information.
        data_root: Root joined to relative ``ann_file`` and image prefixes.
        data_prefix: ``dict(img=...)`` (``img_path`` is also accepted).
        indices: Keep only these samples (int: the first ``indices``).
        serialize_data: Ignored; see above.
        lazy_init: Defer reading the annotation file until first use.
        max_refetch: Unused (pipelines never drop samples); kept for mmengine.
        seed: Dataset seed mixed into every per-sample random stream.
        backend_args: mmengine file backend arguments for ``ann_file``.
    """

    METAINFO: dict = dict(keypoint_order='spin_24', num_keypoints=NUM_JOINTS)
    # An evaluation set names its protocol and the annotation keys the protocol reads.
    PROTOCOL: str = ''
    PROTOCOL_KEYS: Tuple[str, ...] = ()

    @classmethod
    def needed_files(cls, ann_file: str = '', data_root: str = '', img_prefix: Optional[str] = None,
                     data_prefix: Optional[Dict[str, str]] = None, **kwargs) -> List[FileNeed]:
        """The image folder and annotation file a dataset built with these arguments reads.

        Args:
            ann_file: As the constructor.
            data_root: As the constructor.
            img_prefix: As the constructor.
            data_prefix: As the constructor.
            **kwargs: The other constructor arguments (they name no file).

        Returns:
            The image folder, and the annotation file with the keys every
            file holds plus ``PROTOCOL_KEYS``; a sample of its image names
            is looked for in the folder.

        Raises:
            ValueError: ``img_prefix`` and ``data_prefix['img']`` disagree.
        """
        images = join_root(data_root, cls._image_prefix(img_prefix, data_prefix)['img']) or '.'
        return [FileNeed('images', images, check='folder'),
                FileNeed('annotation', join_root(data_root, ann_file), check='spin_npz', keys=REQUIRED_KEYS,
                         protocol_keys=cls.PROTOCOL_KEYS, protocol=cls.PROTOCOL, image_dir=images)]

    def __init__(self,
                 ann_file: str = '',
                 img_prefix: Optional[str] = None,
                 data_cfg: Optional[dict] = None,
                 pipeline: Optional[Sequence[Union[dict, Callable]]] = None,
                 test_mode: bool = False,
                 metainfo: Optional[dict] = None,
                 data_root: str = '',
                 data_prefix: Optional[Dict[str, str]] = None,
                 indices: Optional[Union[int, Sequence[int]]] = None,
                 serialize_data: bool = True,
                 lazy_init: bool = False,
                 max_refetch: int = 1000,
                 seed: int = 0,
                 backend_args: Optional[dict] = None) -> None:
        self.image_size = check_data_cfg(data_cfg)
        self.backend_args = copy.deepcopy(backend_args)
        self.seed = int(seed)
        self.epoch = 0
        self._columns: Dict[str, np.ndarray] = {}
        super().__init__(
            ann_file=ann_file,
            metainfo=metainfo,
            data_root=data_root,
            data_prefix=self._image_prefix(img_prefix, data_prefix),
            indices=indices,
            serialize_data=serialize_data,
            pipeline=build_pipeline(pipeline),
            test_mode=test_mode,
            lazy_init=lazy_init,
            max_refetch=max_refetch)
        self._check_image_size()

    @staticmethod
    def _image_prefix(img_prefix: Optional[str], data_prefix: Optional[Dict[str, str]]) -> Dict[str, str]:
        prefix = dict(data_prefix or {})
        if 'img_path' in prefix:
            prefix.setdefault('img', prefix.pop('img_path'))
        if img_prefix is not None:
            if prefix.get('img', img_prefix) != img_prefix:
                raise ValueError(f"img_prefix={img_prefix!r} and data_prefix['img']={prefix['img']!r} "
                                 f'disagree; give only one')
            prefix['img'] = img_prefix
        prefix.setdefault('img', '')
        return prefix

    def _check_image_size(self) -> None:
        if self.image_size is None:
            return
        for transform in self.pipeline.transforms:
            img_res = getattr(transform, 'img_res', None)
            if img_res is not None and img_res != self.image_size:
                raise ValueError(f"data_cfg['image_size'] is {self.image_size} but the pipeline's "
                                 f'{type(transform).__name__} crops to {img_res}; make them equal')

    def full_init(self) -> None:
        """Read the annotation file into columns (once) and apply ``indices``."""
        if self._fully_initialized:
            return
        self._columns = load_spin_annotations(self.ann_file, self.backend_args)
        check_annotation_values(self.ann_file, self._columns)
        if self._indices is not None:
            self._columns = self._subset_columns(self._columns, self._indices)
        self._fully_initialized = True

    @staticmethod
    def _subset_columns(columns: Dict[str, np.ndarray], indices: Union[int, Sequence[int]]) -> Dict[str, np.ndarray]:
        if isinstance(indices, (int, np.integer)):
            keep = slice(0, int(indices)) if indices >= 0 else slice(int(indices), None)
            return {k: v[keep] for k, v in columns.items()}
        keep = np.asarray(indices, dtype=np.int64)
        return {k: v[keep] for k, v in columns.items()}

    def __len__(self) -> int:
        self.full_init()
        return len(self._columns['imgname'])

    def load_data_list(self) -> List[dict]:
        """All samples as dicts (slow for large files; the dataset itself never needs it)."""
        return [self.get_data_info(i) for i in range(len(self))]

    def get_data_info(self, idx: int) -> dict:
        """The annotation of sample ``idx`` as fresh arrays (safe to modify)."""
        self.full_init()
        index, _, _ = split_index(idx, len(self), self.epoch)
        c = self._columns
        return {
            'img_path': self._image_path(str(c['imgname'][index])),
            'center': c['center'][index].copy(),
            'scale': np.float32(c['scale'][index]),
            'rotation': np.float32(0.0),
            'keypoints_2d': c['keypoints_2d'][index].copy(),
            'keypoints_3d': c['keypoints_3d'][index].copy(),
            'pose': c['pose'][index].copy(),
            'betas': c['betas'][index].copy(),
            'has_smpl': np.float32(c['has_smpl'][index]),
            'gender': np.int64(c['gender'][index]),
            'focal_length': np.float32(c['focal_length'][index]),
            'sample_idx': index,
        }

    def _image_path(self, name: str) -> str:
        prefix = self.data_prefix['img']
        # mmengine's join_path resolves a file backend per call; plain paths skip that.
        return join_path(prefix, name) if '://' in prefix else osp.join(prefix, name)

    @property
    def columns(self) -> Dict[str, np.ndarray]:
        """The annotation columns (read-only views); see ``load_spin_annotations``."""
        self.full_init()
        views = {}
        for key, value in self._columns.items():
            view = value.view()
            view.flags.writeable = False
            views[key] = view
        return views

    def set_epoch(self, epoch: int) -> None:
        """Epoch used for indices that do not carry one (plain ints)."""
        self.epoch = int(epoch)

    def sample_key(self, idx: Any) -> Tuple[int, Tuple[int, ...]]:
        """Index and per-sample random key ``(seed, sampler seed, epoch, index)`` of ``idx``."""
        index, epoch, sampler_seed = split_index(idx, len(self), self.epoch)
        return index, (self.seed, sampler_seed, epoch, index)

    def prepare_sample(self, index: int, aug_seed: Tuple[int, ...]) -> Any:
        """Run the pipeline on sample ``index`` with the random key ``aug_seed``."""
        data_info = self.get_data_info(index)
        data_info[AUG_SEED_KEY] = tuple(int(k) for k in aug_seed)
        data = self.pipeline(data_info)
        if data is None:
            raise RuntimeError(f'{type(self).__name__}: the pipeline dropped sample {index} '
                               f"({data_info['img_path']}); mesh pipelines must not drop samples")
        return data

    def prepare_data(self, idx: Any) -> Any:
        index, key = self.sample_key(idx)
        return self.prepare_sample(index, key)

    def __getitem__(self, idx: Any) -> Any:
        """Sample ``idx`` after the pipeline (an int or an ``EpochIndex``)."""
        self.full_init()
        return self.prepare_data(idx)

    def get_subset_(self, indices: Union[Sequence[int], int]) -> None:
        """Keep only ``indices`` (in place)."""
        self.full_init()
        self._columns = self._subset_columns(self._columns, indices)

    def get_subset(self, indices: Union[Sequence[int], int]) -> 'MeshBaseDataset':
        """A copy holding only ``indices``."""
        self.full_init()
        other = copy.copy(self)
        other._columns = self._subset_columns(self._columns, indices)
        return other
