"""The SPIN / mmpose 0.x annotation ``.npz`` format, defined once (docs/data_contract.md).

The reader (:mod:`~mesh_recovery.datasets.spin_annotations`), the datasets,
the asset doctor, the converters and the synthetic writer take the key names,
per-sample shapes and protocol key sets from here.
"""
from typing import Dict, Tuple

NUM_JOINTS = 24
NUM_BETAS = 10
NUM_POSE = NUM_JOINTS * 3  # SMPL axis-angle, global orientation first

# Keys every image annotation file holds, and the ones read when present.
REQUIRED_KEYS = ('imgname', 'center', 'scale')
OPTIONAL_KEYS = ('part', 'S', 'pose', 'shape', 'has_smpl', 'gender', 'focal_length')
# Keys of the CMU MoSh pose prior file (no images).
MOSH_KEYS = ('pose', 'shape')

# Per-sample shape of each numeric key (the leading N is the sample count).
SAMPLE_SHAPES: Dict[str, Tuple[int, ...]] = {
    'center': (2, ), 'scale': (), 'part': (NUM_JOINTS, 3), 'S': (NUM_JOINTS, 4), 'pose': (NUM_POSE, ),
    'shape': (NUM_BETAS, )}

# Column name the reader gives each optional array key (the rest keep their key).
COLUMN_NAMES: Dict[str, str] = {'part': 'keypoints_2d', 'S': 'keypoints_3d', 'pose': 'pose', 'shape': 'betas'}

# Keys SPIN's preprocessing writes for the evaluation sets, all read by their protocols.
H36M_TEST_KEYS = ('imgname', 'center', 'scale', 'S')
PW3D_KEYS = ('imgname', 'center', 'scale', 'pose', 'shape', 'gender')
# SPIN writes ``part`` for MPI-INF-3DHP too, but the 3D protocol does not read it.
MPI_INF_3DHP_WRITTEN_KEYS = ('imgname', 'center', 'scale', 'part', 'S')
MPI_INF_3DHP_KEYS = tuple(k for k in MPI_INF_3DHP_WRITTEN_KEYS if k != 'part')
# Keys of a training file with SMPL fits.
TRAIN_KEYS = ('imgname', 'center', 'scale', 'part', 'S', 'pose', 'shape', 'has_smpl')

# Keys SPIN writes with np.savez from Python lists, hence float64 arrays.
FLOAT_KEYS = ('center', 'scale', 'part', 'S', 'pose', 'shape', 'has_smpl')

# mmpose's gender codes.
GENDER_MALE, GENDER_FEMALE, GENDER_UNKNOWN = 0, 1, -1

__all__ = ['NUM_JOINTS', 'NUM_BETAS', 'NUM_POSE', 'REQUIRED_KEYS', 'OPTIONAL_KEYS', 'MOSH_KEYS', 'SAMPLE_SHAPES',
           'COLUMN_NAMES', 'H36M_TEST_KEYS', 'PW3D_KEYS', 'MPI_INF_3DHP_KEYS', 'MPI_INF_3DHP_WRITTEN_KEYS', 'TRAIN_KEYS', 'FLOAT_KEYS',
           'GENDER_MALE', 'GENDER_FEMALE', 'GENDER_UNKNOWN']
