"""tools/convert_datasets.py end to end; converted files load in our datasets and pass the asset check."""
import importlib.util
import os.path as osp

import cv2
import numpy as np
import scipy.io
from raw_fixtures import write_h36m_sequence

from mesh_recovery.datasets.converters import CONVERTERS, converter_command
from mesh_recovery.datasets.spin_annotations import load_spin_annotations
from mesh_recovery.utils.asset_check import check_dataset_files
from mesh_recovery.utils.errors import run_main

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
TOOL = osp.join(REPO, 'tools', 'convert_datasets.py')


_spec = importlib.util.spec_from_file_location('convert_datasets_tool', TOOL)
convert_tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(convert_tool)


class _Result:
    def __init__(self, returncode, captured):
        self.returncode, self.stdout, self.stderr = returncode, captured.out, captured.err


def _run(capsys, *args):
    """Run the tool in this process (its start-up imports are paid once), as the command line does."""
    code = run_main(convert_tool.main, list(args))
    return _Result(code, capsys.readouterr())


def test_lsp_through_the_tool_loads_and_passes_the_asset_check(tmp_path, capsys):
    root = tmp_path / 'lsp_dataset_original'
    (root / 'images').mkdir(parents=True)
    joints = np.random.default_rng(0).uniform(10, 90, (3, 14, 2000))
    scipy.io.savemat(root / 'joints.mat', {'joints': joints})
    for k in range(1, 1001):
        (root / 'images' / f'im{k:04d}.jpg').write_bytes(b'')
    result = _run(capsys, 'lsp', '--root', str(root), '--out', str(tmp_path / 'ann'), '--quiet')
    assert result.returncode == 0, result.stderr
    ann = tmp_path / 'ann' / 'lsp_dataset_original_train.npz'
    assert f'wrote {ann}: 1000 samples' in result.stdout
    columns = load_spin_annotations(str(ann))
    np.testing.assert_allclose(columns['keypoints_2d'][5, :14, :2], joints[:2, :, 5].T, rtol=1e-6)
    assert (columns['keypoints_3d'][:, :, 3] == 0).all() and (columns['has_smpl'] == 0).all()
    status = check_dataset_files(dict(type='MeshBaseDataset', ann_file=str(ann), data_prefix=dict(img=str(root))))
    assert [s.status for s in status] == ['found'], [s.describe() for s in status]


def test_h36m_files_pair_with_their_images(tmp_path, capsys):
    raw = tmp_path / 'raw'
    for subject, name in (('S9', 'Directions 1.54138969'), ('S11', 'Directions 1.60457274')):
        write_h36m_sequence(str(raw), subject, name, 11, 12)  # one video frame more than poses, as usual
    images = tmp_path / 'Human3.6M'
    result = _run(capsys, 'h36m', '--root', str(raw), '--out', str(tmp_path / 'ann'), '--images', str(images),
                  '--workers', '2', '--quiet')
    assert result.returncode == 0, result.stderr
    for protocol, count in ((1, 6), (2, 3)):
        ann = str(tmp_path / 'ann' / f'h36m_valid_protocol{protocol}.npz')
        assert len(load_spin_annotations(ann)['imgname']) == count
        status = check_dataset_files(dict(type='MeshH36MDataset', ann_file=ann, data_prefix=dict(img=str(images))))
        assert [s.status for s in status] == ['found'], [s.describe() for s in status]
    image = cv2.imread(str(images / 'images' / 'S9_Directions_1.54138969_000001.jpg'))
    assert image.shape == (48, 64, 3)
    from mesh_recovery.datasets import MeshH36MDataset
    dataset = MeshH36MDataset(ann_file=str(tmp_path / 'ann' / 'h36m_valid_protocol2.npz'),
                              data_prefix=dict(img=str(images)), pipeline=[dict(type='LoadImageFromFile')],
                              test_mode=True)
    sample = dataset[2]
    assert sample['img_path'].endswith('images/S11_Directions_1.60457274_000011.jpg')
    assert sample['img'].shape == (48, 64, 3) and sample['has_smpl'] == 0
    np.testing.assert_allclose(sample['center'], [(2 + 10 + 20 + 10) / 2, (3 + 30) / 2])
    assert (sample['keypoints_2d'][:, 2] == 0).all() and sample['keypoints_3d'][:, 3].sum() == 17


def test_errors_name_the_file(tmp_path, capsys):
    result = _run(capsys, 'coco', '--root', str(tmp_path), '--out', str(tmp_path / 'ann'))
    assert result.returncode == 2
    assert 'person_keypoints_train2014.json' in result.stderr and 'Traceback' not in result.stderr
    result = _run(capsys, 'lsp', '--root', str(tmp_path / 'absent'))
    assert result.returncode == 2 and 'absent is not a folder' in result.stderr


def test_converter_command_for_every_file():
    assert converter_command('data/mesh_annotation_files/mpii_train.npz') == (
        'python tools/convert_datasets.py mpii --root data/mpii --out data/mesh_annotation_files')
    assert converter_command('h36m_valid_protocol2.npz').startswith('python tools/convert_datasets.py h36m ')
    assert converter_command('data/h36m_train/').startswith('python tools/convert_datasets.py h36m_train ')
    assert converter_command('data/Human3.6M').startswith('python tools/convert_datasets.py h36m ')
    assert converter_command('data/mesh_annotation_files/CMU_mosh.npz') == ''
    for info in CONVERTERS.values():
        for name in info.outputs:
            assert converter_command(name) == info.command()
        assert callable(info.load().convert)


def test_asset_doctor_names_the_converter_command():
    from mesh_recovery.utils.asset_check import AssetStatus
    text = AssetStatus('annotation', 'data/mesh_annotation_files/coco_2014_train.npz', 'missing', 'no file').describe()
    assert 'python tools/convert_datasets.py coco --root data/coco --out data/mesh_annotation_files' in text
    text = AssetStatus('images', 'data/h36m_train/', 'missing', 'no folder').describe()
    assert 'python tools/convert_datasets.py h36m_train ' in text
    text = AssetStatus('annotation', 'data/synthetic/mesh_annotation_files/synthetic_h36m_train.npz', 'missing',
                       'no file').describe()
    assert 'convert_datasets' not in text


def test_converters_import_no_model_code():
    import subprocess
    import sys
    code = ('import sys, importlib\n'
            'from mesh_recovery.datasets.converters import CONVERTERS\n'
            'for info in CONVERTERS.values(): info.load()\n'
            'print(sorted(m for m in sys.modules if m.startswith("mesh_recovery.models")))\n')
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == '[]'
