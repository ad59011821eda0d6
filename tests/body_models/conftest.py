"""Fixtures: small synthetic SMPL-format models written like the official files."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
# The free-body-model builder is build-time code beside its tool (tools/body_model_builder/),
# outside the installed package; appended so tools/*.py cannot shadow other modules.
TOOLS = str(Path(__file__).resolve().parents[2] / 'tools')
if TOOLS not in sys.path:
    sys.path.append(TOOLS)
from synthetic_smpl import SMALL_NUM_VERTICES, make_smpl_arrays, write_official_pickle  # noqa: E402

# Per-gender seeds and template offsets, so each model's output is distinguishable.
GENDER_MODELS = {'NEUTRAL': (1, 0.0), 'MALE': (2, 0.5), 'FEMALE': (3, -0.5)}


@pytest.fixture(scope='session')
def smpl_dir(tmp_path_factory):
    """A models/smpl-like directory with SMPL_{NEUTRAL,MALE,FEMALE}.pkl; returns (dir, arrays)."""
    root = tmp_path_factory.mktemp('smpl')
    arrays = {}
    for name, (seed, offset) in GENDER_MODELS.items():
        arrays[name] = make_smpl_arrays(SMALL_NUM_VERTICES, seed=seed, template_offset=offset)
        write_official_pickle(root / f'SMPL_{name}.pkl', arrays[name])
    return root, arrays


@pytest.fixture(scope='session')
def neutral_pkl(smpl_dir):
    """Path of the synthetic neutral model and its source arrays."""
    root, arrays = smpl_dir
    return str(root / 'SMPL_NEUTRAL.pkl'), arrays['NEUTRAL']
