"""The pictures at the end of the main job: contact sheet of test predictions and the loss plot."""
import importlib.util
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from mesh_recovery.apis import init_model
from mesh_recovery.apis.contact_sheet import GT_COLOR, make_contact_sheet
from mesh_recovery.apis.loss_plot import plot_losses, read_scalar_logs
from mesh_recovery.synthetic.dataset_writer import SyntheticDatasetWriter
from mesh_recovery.utils.errors import BadFileError, MissingFileError

REPO = Path(__file__).resolve().parents[2]
CONFIG = 'configs/mesh/hmr/hmr_resnet18_synthetic_quickstart.py'
TILE = 96


@pytest.fixture(scope='module')
def data_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp('synthetic')
    writer = SyntheticDatasetWriter(str(REPO / 'models/free_body/body_model.npz'),
                                    str(REPO / 'models/free_body/joints_regressor_spin24.npy'), str(out), seed=0,
                                    num_workers=1)
    writer.write_test(5)
    return out


@pytest.fixture(scope='module')
def model():
    torch.manual_seed(0)
    return init_model(REPO / CONFIG)


def ann_paths(data_dir):
    ann = data_dir / 'mesh_annotation_files'
    return str(ann / 'synthetic_test.npz'), str(ann / 'synthetic_test_cameras.npz')


def gt_pixels_in_tile(data_dir, index):
    """Where the ground-truth joints of row ``index`` land in its tile: S projected, then the crop zoom."""
    ann, cams = (np.load(p) for p in ann_paths(data_dir))
    joints = ann['S'][index]
    uv = cams['principal_point'][index] + cams['focal_length'][index] * joints[:, :2] / joints[:, 2:3]
    zoom = TILE / (ann['scale'][index] * 200.0)
    return zoom * (uv - ann['center'][index]) + TILE / 2


def test_contact_sheet_draws_the_ground_truth_joints_where_they_project(model, data_dir, tmp_path):
    ann, cams = ann_paths(data_dir)
    sheet = make_contact_sheet(model, ann, str(data_dir), str(tmp_path / 'sheet.png'), num_samples=4, columns=3,
                               tile_size=TILE, cameras_file=cams)
    assert sheet.indices == [0, 1, 3, 4] and sheet.gt_joints_source == 'S + cameras'
    image = cv2.imread(sheet.path)
    assert image.shape == (2 * TILE, 3 * TILE, 3)
    assert np.all(image[TILE:, 2 * TILE:] == 255), 'the unused tile stays blank'
    assert all(np.isfinite(e) and 0 < e < 2000 for e in sheet.pa_mpjpe_mm)
    green = np.all(np.abs(image.astype(int) - GT_COLOR) <= 60, axis=2)
    for slot, index in enumerate(sheet.indices):
        row, col = divmod(slot, 3)
        tile_green = green[row * TILE:(row + 1) * TILE, col * TILE:(col + 1) * TILE]
        pixels = np.rint(gt_pixels_in_tile(data_dir, index)).astype(int)
        near = [tile_green[max(0, y - 2):y + 3, max(0, x - 2):x + 3].any() for x, y in pixels
                if 2 <= x < TILE - 2 and 2 <= y < TILE - 18]
        # Predicted (red) joints are drawn over the green ones and may hide a few.
        assert len(near) >= 15 and np.mean(near) >= 0.7, f'tile {index}: ground-truth joints not where they project'
        assert tile_green.mean() < 0.2, 'green is for the joints, not everywhere'


def test_contact_sheet_uses_the_files_2d_joints_when_present(model, data_dir, tmp_path):
    ann, cams = ann_paths(data_dir)
    arrays = dict(np.load(ann))
    cameras = np.load(cams)
    joints = arrays['S']
    uv = cameras['principal_point'][:, None] + cameras['focal_length'][:, None] * joints[..., :2] / joints[..., 2:3]
    arrays['part'] = np.concatenate([uv, np.ones_like(uv[..., :1])], axis=-1)
    with_part = tmp_path / 'with_part.npz'
    np.savez(with_part, **arrays)
    sheet = make_contact_sheet(model, str(with_part), str(data_dir), str(tmp_path / 's.png'), indices=[2],
                               tile_size=TILE)
    assert sheet.gt_joints_source == 'part' and sheet.indices == [2]
    reference = make_contact_sheet(model, ann, str(data_dir), str(tmp_path / 'r.png'), indices=[2], tile_size=TILE,
                                   cameras_file=cams)
    np.testing.assert_array_equal(cv2.imread(sheet.path), cv2.imread(reference.path))
    without = make_contact_sheet(model, ann, str(data_dir), str(tmp_path / 'n.png'), indices=[2], tile_size=TILE)
    assert without.gt_joints_source == 'none'
    assert not np.array_equal(cv2.imread(without.path), cv2.imread(reference.path))


def test_contact_sheet_names_a_missing_image(model, data_dir, tmp_path):
    ann, _ = ann_paths(data_dir)
    with pytest.raises(BadFileError, match='000001.jpg of row 1'):
        make_contact_sheet(model, ann, str(tmp_path), str(tmp_path / 's.png'), indices=[1])


def write_scalars(folder, records):
    (folder / 'vis_data').mkdir(parents=True)
    (folder / 'vis_data' / 'scalars.json').write_text(''.join(json.dumps(r) + '\n' for r in records))


def test_loss_plot_merges_resumed_runs(tmp_path):
    write_scalars(tmp_path / '20260101_000000', [
        dict(loss=4.0, loss_disc=1.0, epoch=1, iter=1, step=1), dict(loss=3.0, loss_disc=0.9, epoch=1, iter=2, step=2),
        dict(MPJPE=300.0, step=1), dict(loss=9.9, loss_disc=0.8, epoch=2, iter=3, step=3)])
    # Resumed from step 2: its step 3 replaces the first run's.
    write_scalars(tmp_path / '20260101_010000', [dict(loss=2.0, loss_disc=0.7, loss_vertex=0.5, epoch=2, iter=3,
                                                      step=3), dict(loss=1.0, loss_disc=0.6, epoch=2, iter=4, step=4)])
    series = read_scalar_logs(str(tmp_path))
    np.testing.assert_array_equal(series['loss'][0], [1, 2, 3, 4])
    np.testing.assert_array_equal(series['loss'][1], [4.0, 3.0, 2.0, 1.0])
    np.testing.assert_array_equal(series['loss_vertex'][0], [3])
    assert 'MPJPE' not in series
    out = tmp_path / 'plots' / 'losses.png'
    plot_losses(str(tmp_path), str(out))
    image = cv2.imread(str(out))
    assert image.shape == (450, 800, 3) and image.std() > 10


def test_loss_plot_without_logs_says_where_it_looked(tmp_path):
    with pytest.raises(MissingFileError, match='vis_data/scalars.json'):
        plot_losses(str(tmp_path), str(tmp_path / 'x.png'))


def test_quickstart_writes_both_pictures(model, data_dir, tmp_path, capsys):
    spec = importlib.util.spec_from_file_location('quickstart_tool_pictures', REPO / 'tools' / 'quickstart.py')
    quickstart = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(quickstart)
    checkpoint = tmp_path / 'epoch_1.pth'
    torch.save({'state_dict': model.state_dict()}, checkpoint)
    write_scalars(tmp_path / '20260101_000000', [dict(loss=4.0 - i, epoch=1, iter=i, step=i) for i in range(1, 4)])
    paths = quickstart.write_pictures(str(REPO / CONFIG), str(checkpoint), str(data_dir), str(tmp_path),
                                      num_samples=3)
    printed = capsys.readouterr().out
    assert paths['contact_sheet'] in printed and paths['losses'] in printed
    assert cv2.imread(paths['contact_sheet']).shape == (192, 4 * 192, 3)
    assert cv2.imread(paths['losses']) is not None
