"""Each evaluation protocol through tools/test.py on tiny synthetic files; several --eval names at once."""
import shutil

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from conftest import REPO, run_tool  # noqa: F401  (tests/tools/conftest.py)
from synthetic_runs import QUICKSTART, synthetic_writer  # tests/synthetic_runs.py, on sys.path via conftest.py

from mesh_recovery.registry import MODELS

PW3D = 'configs/mesh/hmr/hmr_resnet18_synthetic_pw3d.py'
MPI_INF_3DHP = 'configs/mesh/hmr/hmr_resnet18_synthetic_mpi_inf_3dhp.py'
H36M_NAMES = ('S9_Directions_1.54138969_000001.jpg', 'S9_Directions_1.54138969_000006.jpg',
              'S11_TakingPhoto.58860488_000011.jpg', 'S11_Walking_1.60457274_000016.jpg')


@pytest.fixture(scope='module')
def protocol_data(tmp_path_factory):
    """4 images per protocol-like test set, an H36M-named copy of the plain test set, a random-init checkpoint."""
    out = tmp_path_factory.mktemp('protocol_data')
    writer = synthetic_writer(out)
    writer.write_pw3d_test(4)
    writer.write_mpi_inf_3dhp_test(4)
    test = np.load(writer.write_test(4))
    # Human3.6M-style names on the same images, for the per-action table.
    (out / 'h36m').mkdir()
    for src, name in zip(test['imgname'], H36M_NAMES):
        shutil.copy(out / str(src), out / 'h36m' / name)
    np.savez(out / 'mesh_annotation_files' / 'synthetic_test.npz', **dict(test, imgname=np.array(
        [f'h36m/{n}' for n in H36M_NAMES])))
    init_default_scope('mesh_recovery')
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(str(REPO / QUICKSTART)).model)
    checkpoint = out / 'random_init.pth'
    torch.save({'meta': {}, 'state_dict': model.state_dict()}, checkpoint)
    return out, checkpoint


def _options(data_dir):
    return ['--cfg-options', f'test_dataloader.dataset.data_root={data_dir}', 'test_dataloader.num_workers=0',
            'test_dataloader.batch_size=2']


def _table(stdout):
    rows = {}
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) == 2:
            try:
                rows[parts[0]] = float(parts[1])
            except ValueError:
                pass
    return rows


def test_pw3d_protocol(protocol_data, tmp_path):
    data_dir, checkpoint = protocol_data
    result = run_tool(['tools/test.py', PW3D, checkpoint, '--work-dir', tmp_path, *_options(data_dir)])
    table = _table(result.stdout)
    assert {'MPJPE', 'MPJPE-PA', 'PVE'} <= set(table), result.stdout[-2000:]
    assert 0 < table['MPJPE-PA'] < table['MPJPE'] and table['PVE'] > 0


def test_mpi_inf_3dhp_protocol_with_joint_error_too(protocol_data, tmp_path):
    data_dir, checkpoint = protocol_data
    result = run_tool(['tools/test.py', MPI_INF_3DHP, checkpoint, '--eval', 'pck', 'joint_error', '--work-dir',
                       tmp_path, *_options(data_dir)])
    table = _table(result.stdout)
    assert {'PCK', 'AUC', 'PA-PCK', 'PA-AUC', 'MPJPE', 'h36m/MPJPE', 'h36m/MPJPE-PA'} <= set(table), result.stdout
    assert 0 <= table['AUC'] <= table['PCK'] <= 100 and table['PA-PCK'] >= table['PCK']


def test_h36m_per_action(protocol_data, tmp_path):
    data_dir, checkpoint = protocol_data
    ann_file = data_dir / 'mesh_annotation_files' / 'synthetic_test.npz'
    result = run_tool(['tools/test.py', QUICKSTART, checkpoint, '--eval=per_action', '--work-dir', tmp_path,
                       *_options(data_dir)])
    table = _table(result.stdout)
    assert {'MPJPE/Directions', 'MPJPE/Photo', 'MPJPE/Walking', 'MPJPE-PA/Photo'} <= set(table), result.stdout
    assert 'Directions' in result.stdout and ann_file.is_file()


def test_unknown_eval_name_lists_the_valid_ones(protocol_data, tmp_path):
    _, checkpoint = protocol_data
    result = run_tool(['tools/test.py', QUICKSTART, checkpoint, '--eval', 'joint_error', 'mAP'], check=False,
                      timeout=120)
    assert result.returncode == 2
    assert "invalid choice: 'mAP'" in result.stderr and "'pve'" in result.stderr and "'pck'" in result.stderr
