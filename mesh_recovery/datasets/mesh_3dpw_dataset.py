"""3DPW test set in SPIN's format (``3dpw_test.npz``)."""
import numpy as np

from mesh_recovery.registry import DATASETS

from .mesh_base_dataset import MeshBaseDataset
from .annotation_format import GENDER_FEMALE, GENDER_MALE, PW3D_KEYS
from .spin_annotations import require_protocol_keys


@DATASETS.register_module()
class Mesh3DPWDataset(MeshBaseDataset):
    """3DPW test set: ``imgname``, ``center``, ``scale``, ``pose``, ``shape``, ``gender``.

    SPIN's ``pw3d.py`` writes no 2D or 3D joints for 3DPW: the ground truth
    is the SMPL fit (``pose`` (N, 72) axis-angle with the global orientation
    already in the camera frame, ``shape`` (N, 10)) posed with the SMPL model
    of each sample's ``gender`` ('m' / 'f'). Image names are relative to the
    3DPW root (``imageFiles/<sequence>/image_<frame:05d>.jpg``, 0-based).
    The default evaluator is :class:`mesh_recovery.evaluation.PW3DError`.

    Args:
        gendered: Require every ``gender`` to be male or female (the real
            protocol); False for sets posed with a neutral model only (the
            synthetic writer's fallback without gendered models, ``gender`` ``'n'``).
        **kwargs: The arguments of :class:`MeshBaseDataset`.

    Raises:
        KeyError: (on first use) the file lacks a key of ``PW3D_KEYS``.
        ValueError: (on first use, ``gendered``) a ``gender`` entry is neither male nor female.
    """

    PROTOCOL = '3DPW test'
    PROTOCOL_KEYS = PW3D_KEYS
    METAINFO: dict = dict(MeshBaseDataset.METAINFO, dataset_name='3dpw', default_evaluator=dict(type='PW3DError'))

    def __init__(self, gendered: bool = True, **kwargs) -> None:
        self.gendered = bool(gendered)
        super().__init__(**kwargs)

    def full_init(self) -> None:
        """Check the protocol's keys and genders, then read the file (once)."""
        if self._fully_initialized:
            return
        require_protocol_keys(self.ann_file, self.PROTOCOL_KEYS, self.PROTOCOL, self.backend_args)
        super().full_init()
        if not self.gendered:
            return
        gender = self._columns['gender']
        unknown = ~np.isin(gender, (GENDER_MALE, GENDER_FEMALE))
        if unknown.any():
            first = int(np.flatnonzero(unknown)[0])
            raise ValueError(f"{self.ann_file}: the {self.PROTOCOL} protocol poses the ground truth with "
                             f"the male or female SMPL model, but {int(unknown.sum())} samples have a "
                             f"gender other than 'm' / 'f' (first: sample {first}, "
                             f"{self._columns['imgname'][first]}); set gendered=False only for "
                             f"data posed with a neutral model")
