"""MPI-INF-3DHP test set in SPIN's format (``mpi_inf_3dhp_test.npz``)."""
import numpy as np

from mesh_recovery.conventions import MPI_INF_3DHP_17, SPIN_24, joint_indices
from mesh_recovery.registry import DATASETS

from .mesh_base_dataset import MeshBaseDataset
from .annotation_format import MPI_INF_3DHP_KEYS
from .spin_annotations import require_protocol_keys


@DATASETS.register_module()
class MeshMPIINF3DHPDataset(MeshBaseDataset):
    """MPI-INF-3DHP test set: ``imgname``, ``center``, ``scale``, ``part``, ``S``.

    SPIN's test extraction keeps the valid frames of TS1-TS6 whose 17 joints
    all lie in the image, reads the ``univ_annot3`` (universal skeleton)
    joints, centres them on the pelvis and stores them in 17 slots of the
    SPIN-24 ``S`` array with confidence 1 (``MPI_INF_3DHP_17``); image names
    are ``mpi_inf_3dhp_test_set/TS<k>/imageSequence/img_<frame:06d>.jpg``
    (1-based). The default evaluator is
    :class:`mesh_recovery.evaluation.MPIINF3DHPError`.

    Takes the arguments of :class:`MeshBaseDataset`.

    Raises:
        KeyError: (on first use) the file lacks a key of ``MPI_INF_3DHP_KEYS``.
        ValueError: no sample has a confident protocol joint.
    """

    PROTOCOL = 'MPI-INF-3DHP test'
    PROTOCOL_KEYS = MPI_INF_3DHP_KEYS
    METAINFO: dict = dict(MeshBaseDataset.METAINFO, dataset_name='mpi_inf_3dhp',
                          default_evaluator=dict(type='MPIINF3DHPError'))

    def full_init(self) -> None:
        """Check the protocol's keys, then read the file (once)."""
        if self._fully_initialized:
            return
        require_protocol_keys(self.ann_file, self.PROTOCOL_KEYS, self.PROTOCOL, self.backend_args)
        super().full_init()
        confidence = self._columns['keypoints_3d'][:, joint_indices(MPI_INF_3DHP_17, SPIN_24), 3]
        if len(confidence) and not (confidence > 0).any():
            raise ValueError(f"{self.ann_file}: key 'S' has zero confidence on all 17 joints of the "
                             f'{self.PROTOCOL} protocol ({list(MPI_INF_3DHP_17)}) in every sample')
