"""Fixtures of the dataset tests."""
from pathlib import Path
from typing import Dict

import pytest
from dataset_helpers import FIXTURES, build_symmetric_body_model


@pytest.fixture(scope='session')
def fixtures_dir() -> Path:
    """The real mmpose 0.29 fixtures (skips when ../shared is not checked out)."""
    if not (FIXTURES / 'h36m' / 'test_h36m.npz').is_file():
        pytest.skip(f'real-format fixtures not found at {FIXTURES.resolve()} (needs ../shared)')
    return FIXTURES


@pytest.fixture(scope='session')
def symmetric_body_model(tmp_path_factory) -> Dict[str, object]:
    """The symmetric tiny body model (see ``build_symmetric_body_model``)."""
    return build_symmetric_body_model(tmp_path_factory.mktemp('symmetric_smpl'))
