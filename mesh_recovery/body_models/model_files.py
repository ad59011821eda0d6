"""Names and places of body-model files, defined once.

The loader (:mod:`mesh_recovery.body_models.io`), the evaluation protocols,
the asset doctor, the tools and the free-body-model builder all read these
names from here, so a file renamed here is renamed everywhere (and in the
messages that tell a user where to put it).

Two families of files share the SMPL layout (docs/body_models.md):

* the licensed SMPL release, conventionally in ``models/smpl/``
  (``SMPL_{NEUTRAL,MALE,FEMALE}.pkl``, or the release's ``basicModel_*`` names),
  with mmpose 0.x's ``joints_regressor_cmr.npy`` and ``smpl_mean_params.npz``;
* the free body model committed in ``models/free_body/`` (``body_model*.npz``,
  its SPIN-24 regressor and mean parameters), built by ``tools/build_body_model.py``.
"""
import os.path as osp
from typing import Dict, Tuple

GENDERS = ('neutral', 'male', 'female')

# Folders, relative to the repository root.
SMPL_DIR = 'models/smpl'
FREE_BODY_DIR = 'models/free_body'

# Companion files of the SMPL release (mmpose 0.x / SPIN data preparation).
SMPL_JOINTS_REGRESSOR = 'joints_regressor_cmr.npy'
SMPL_MEAN_PARAMS = 'smpl_mean_params.npz'
# Human3.6M regressor beside the body model (SPIN's data/ folder; the free body model ships one too).
H36M_REGRESSOR = 'J_regressor_h36m.npy'

# Files of the free body model (the builder writes exactly these names).
FREE_BODY_MODEL_FILES: Dict[str, str] = {
    'neutral': 'body_model.npz', 'male': 'body_model_male.npz', 'female': 'body_model_female.npz'}
FREE_BODY_REGRESSOR = 'joints_regressor_spin24.npy'
FREE_BODY_MEAN_PARAMS = 'mean_params.npz'

# Names of the official SMPL release (v1.0.0 and v1.1.0 pickles).
_RELEASE_NAMES: Dict[str, Tuple[str, ...]] = {
    'neutral': ('basicModel_neutral_lbs_10_207_0_v1.0.0.pkl', 'basicmodel_neutral_lbs_10_207_0_v1.1.0.pkl'),
    'male': ('basicmodel_m_lbs_10_207_0_v1.0.0.pkl', 'basicmodel_m_lbs_10_207_0_v1.1.0.pkl'),
    'female': ('basicModel_f_lbs_10_207_0_v1.0.0.pkl', 'basicmodel_f_lbs_10_207_0_v1.1.0.pkl'),
}

# Keys of an SMPL-format model file (.pkl dict or .npz archive).
BODY_MODEL_KEYS = ('v_template', 'shapedirs', 'posedirs', 'J_regressor', 'weights', 'kintree_table', 'f')


def smpl_file_name(gender: str, ext: str = '.pkl') -> str:
    """``SMPL_NEUTRAL.pkl`` style name of one gender's model file (``ext`` ``.pkl`` or ``.npz``)."""
    return f'SMPL_{gender.upper()}{ext}'


def free_body_path(name: str) -> str:
    """Path of a free-body-model file, relative to the repository root."""
    return osp.join(FREE_BODY_DIR, name)


def smpl_path(name: str) -> str:
    """Path of a file of the SMPL release folder, relative to the repository root."""
    return osp.join(SMPL_DIR, name)


# File names searched, in order, when a directory is given.
CANDIDATE_NAMES: Dict[str, Tuple[str, ...]] = {
    gender: (smpl_file_name(gender, '.pkl'), smpl_file_name(gender, '.npz')) + _RELEASE_NAMES[gender]
    + (FREE_BODY_MODEL_FILES[gender], ) for gender in GENDERS}

# Where the files come from; appended to the loader's "not found" messages.
WHERE_FROM = (
    'Expected layout (as in mmpose 0.x):\n'
    f'  {smpl_path(smpl_file_name("neutral")):<36} (required; {smpl_file_name("male")} / '
    f'{smpl_file_name("female")} optional)\n'
    f'  {smpl_path(SMPL_JOINTS_REGRESSOR)}\n'
    f'  {smpl_path(SMPL_MEAN_PARAMS)}\n'
    'The SMPL model files are licensed: register at https://smpl.is.tue.mpg.de and download them '
    'there (the gender-neutral model comes with SMPLify, https://smplify.is.tue.mpg.de); see '
    f'docs/data_preparation.md. Alternatively use the free body model shipped in {FREE_BODY_DIR}/, '
    'which needs no download.')

# A one-line version for messages about a single bad file.
GET_ONE = ('get the SMPL files from smpl.is.tue.mpg.de (see docs/data_preparation.md) or use '
           f'the free body model in {FREE_BODY_DIR}/')

# The SPIN-24 regressor of each family, for messages about a missing or mismatched regressor.
SPIN24_REGRESSOR_HINT = (f'{smpl_path(SMPL_JOINTS_REGRESSOR)} for SMPL, '
                         f'{free_body_path(FREE_BODY_REGRESSOR)} for the free body model')

__all__ = ['GENDERS', 'SMPL_DIR', 'FREE_BODY_DIR', 'SMPL_JOINTS_REGRESSOR', 'SMPL_MEAN_PARAMS', 'H36M_REGRESSOR',
           'FREE_BODY_MODEL_FILES', 'FREE_BODY_REGRESSOR', 'FREE_BODY_MEAN_PARAMS', 'BODY_MODEL_KEYS',
           'CANDIDATE_NAMES', 'WHERE_FROM', 'GET_ONE', 'SPIN24_REGRESSOR_HINT', 'smpl_file_name',
           'free_body_path', 'smpl_path']
