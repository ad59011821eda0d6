"""The free-body-model builder is build-time code, apart from the run-time package."""
import importlib.util
import pkgutil
import subprocess
import sys
from pathlib import Path

import mesh_recovery

REPO = Path(__file__).resolve().parents[2]


def test_run_time_package_holds_no_builder_module():
    modules = [m.name for m in pkgutil.walk_packages(mesh_recovery.__path__, 'mesh_recovery.')]
    assert 'mesh_recovery.body_models.model_files' in modules
    assert not [m for m in modules if 'free_body' in m or 'builder' in m]
    assert importlib.util.find_spec('mesh_recovery.body_models.free_body') is None
    assert (REPO / 'tools' / 'body_model_builder' / 'builder.py').is_file()


def test_importing_the_run_time_packages_loads_neither_builder_nor_anny():
    code = ('import sys, mesh_recovery.apis, mesh_recovery.body_models, mesh_recovery.datasets, '
            'mesh_recovery.evaluation, mesh_recovery.models, mesh_recovery.synthetic, mesh_recovery.utils.asset_check; '
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('body_model_builder', 'anny')))")
    result = subprocess.run([sys.executable, '-c', code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == '[]'


def test_builder_writes_the_names_the_loader_looks_for():
    from body_model_builder import BODY_MODEL_FILE, MEAN_PARAMS_FILE, SPIN_REGRESSOR_FILE  # via conftest.py
    from body_model_builder.gendered import GENDER_FILES

    from mesh_recovery.body_models.model_files import CANDIDATE_NAMES
    assert BODY_MODEL_FILE in CANDIDATE_NAMES['neutral']
    assert all(name in CANDIDATE_NAMES[gender] for gender, name in GENDER_FILES.items())
    assert (MEAN_PARAMS_FILE, SPIN_REGRESSOR_FILE) == ('mean_params.npz', 'joints_regressor_spin24.npy')
