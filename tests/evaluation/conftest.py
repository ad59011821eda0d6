"""Fixtures of the evaluation tests: the real mmpose fixtures and tiny gendered body models."""
from pathlib import Path
from typing import Dict

import pytest
from protocol_helpers import write_gendered_models

FIXTURES = Path(__file__).resolve().parents[2] / '..' / 'shared' / 'fixtures' / 'mmpose_v0.29'


@pytest.fixture(scope='session')
def fixtures_dir() -> Path:
    """The real mmpose 0.29 fixtures (skips when ../shared is not checked out)."""
    if not (FIXTURES / 'h36m' / 'test_h36m.npz').is_file():
        pytest.skip(f'real-format fixtures not found at {FIXTURES.resolve()} (needs ../shared)')
    return FIXTURES


@pytest.fixture(scope='session')
def gendered_models(tmp_path_factory) -> Dict[str, str]:
    """Neutral, male and female tiny models and a (17, V) regressor in one folder."""
    return write_gendered_models(tmp_path_factory.mktemp('gendered_smpl'))
