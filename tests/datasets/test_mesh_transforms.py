"""Transforms: flip, noise, scale/rotation, affine crop, loading and packing."""
import cv2
import numpy as np
import pytest
import torch
from mmengine.dataset import default_collate
from mmengine.model import ImgDataPreprocessor

from mesh_recovery.datasets import MeshBaseDataset
from mesh_recovery.datasets.transforms import (LoadImageFromFile, MeshAffine, MeshGetRandomScaleRotation,
                                               MeshRandomChannelNoise, MeshRandomFlip, PackMeshInputs,
                                               flip_smpl_pose)
from mesh_recovery.datasets.transforms.mesh_random_flip import SPIN_FLIP

# docs/conventions.md (flipping), typed out: the SMPL joint permutation of a horizontal flip.
DOCUMENTED_SMPL_FLIP = [0, 2, 1, 3, 5, 4, 6, 8, 7, 9, 11, 10, 12, 14, 13, 15, 17, 16, 19, 18, 21, 20, 23, 22]


def _fixture_sample(fixtures_dir, index=0):
    dataset = MeshBaseDataset(str(fixtures_dir / 'h36m' / 'test_h36m.npz'), img_prefix=str(fixtures_dir / 'h36m'),
                              pipeline=[LoadImageFromFile()])
    return dataset[index]


def _copy(results):
    return {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in results.items()}


def test_flip_twice_is_identity(fixtures_dir):
    original = _fixture_sample(fixtures_dir, 1)
    once = MeshRandomFlip.flip(_copy(original))
    twice = MeshRandomFlip.flip(_copy(once))
    for key in ('center', 'keypoints_2d', 'keypoints_3d', 'pose'):
        # x -> w - 1 - x twice is exact up to float32 rounding of pixel coordinates.
        np.testing.assert_allclose(twice[key], original[key], rtol=0, atol=1e-4, err_msg=key)
        assert not np.allclose(once[key], original[key]), key
    for key in ('keypoints_3d', 'pose'):
        np.testing.assert_array_equal(twice[key], original[key], err_msg=key)
    # The pixels are left alone; the mirror is recorded for the crop to apply.
    np.testing.assert_array_equal(once['img'], original['img'])
    np.testing.assert_array_equal(twice['img_pending_affine'], np.eye(3))
    width, height = original['img'].shape[1], original['img'].shape[0]
    mirrored = cv2.warpAffine(original['img'], once['img_pending_affine'][:2], (width, height))
    np.testing.assert_array_equal(mirrored, original['img'][:, ::-1])
    # Right ankle (0) of the flipped image is the mirrored left ankle (5).
    np.testing.assert_allclose(once['keypoints_2d'][0], [width - 1 - original['keypoints_2d'][5, 0],
                                                         *original['keypoints_2d'][5, 1:]])
    np.testing.assert_allclose(once['keypoints_3d'][0], [-original['keypoints_3d'][5, 0],
                                                         *original['keypoints_3d'][5, 1:]])


def test_recorded_flip_crops_like_a_flipped_copy(fixtures_dir):
    for rotation in (0.0, 25.0):
        view = MeshRandomFlip.flip(_fixture_sample(fixtures_dir, 2))
        copied = dict(view, img=cv2.flip(_fixture_sample(fixtures_dir, 2)['img'], 1))
        del copied['img_pending_affine']
        view['rotation'] = copied['rotation'] = rotation
        out_view, out_copy = MeshAffine(224)(view), MeshAffine(224)(dict(copied))
        difference = np.abs(out_view['img'].astype(int) - out_copy['img'])
        assert difference.max() <= 1 and (difference > 0).mean() < 0.01
        assert out_view['img'].mean() > 20


def test_flip_pose_matches_design_permutation():
    pose = np.random.default_rng(0).normal(size=(3, 72)).astype(np.float32)
    expected = pose.reshape(3, 24, 3)[:, DOCUMENTED_SMPL_FLIP] * np.array([1, -1, -1], np.float32)
    np.testing.assert_array_equal(flip_smpl_pose(pose), expected.reshape(3, 72))


def test_channel_noise_is_saturated_product():
    img = np.random.default_rng(1).integers(0, 256, (37, 53, 3), dtype=np.uint8)
    img[0, :, :] = np.arange(256).reshape(-1, 1)[:53]  # low levels
    img[1, :, :] = np.arange(256).reshape(-1, 1)[-53:]  # saturating levels
    noise = MeshRandomChannelNoise(noise_factor=0.4)
    out = noise({'img': img.copy(), 'aug_seed': (0, 0, 0, 5)})
    factors = out['channel_noise'].astype(np.float64)
    assert ((factors >= 0.6) & (factors <= 1.4)).all() and np.ptp(factors) > 0
    expected = np.clip(np.rint(img * factors), 0, 255).astype(np.uint8)
    # Factors are reported as float32; allow the last-unit rounding difference.
    difference = np.abs(out['img'].astype(int) - expected)
    assert difference.max() <= 1 and (difference == 0).mean() > 0.99
    assert (out['img'] != img).any()


def test_channel_noise_nearly_commutes_with_the_crop(fixtures_dir):
    crop = [MeshRandomFlip(0.5), MeshGetRandomScaleRotation(30, 0.25, 0.6), MeshAffine(224)]
    noise = MeshRandomChannelNoise(0.4)
    for index in range(4):
        for epoch in range(2):
            before, after = _fixture_sample(fixtures_dir, index), _fixture_sample(fixtures_dir, index)
            before['aug_seed'] = after['aug_seed'] = (0, 0, epoch, index)
            for transform in [noise] + crop:
                before = transform(before)
            for transform in crop + [noise]:
                after = transform(after)
            np.testing.assert_array_equal(before['channel_noise'], after['channel_noise'])
            difference = np.abs(before['img'].astype(int) - after['img'])
            assert difference.mean() < 0.4 and (difference > 1).mean() < 0.03, (index, epoch)


def test_scale_rotation_statistics():
    transform = MeshGetRandomScaleRotation(rot_factor=30, scale_factor=0.25, rot_prob=0.6)
    draws = [transform({'scale': np.float32(2.0), 'aug_seed': (0, 0, 0, i)}) for i in range(4000)]
    scale = np.array([d['scale'] for d in draws]) / 2.0
    rotation = np.array([d['rotation'] for d in draws])
    assert scale.min() >= 0.75 - 1e-6 and scale.max() <= 1.25 + 1e-6
    # N(1, 0.25) clipped at one sigma: std 0.718 * 0.25, 31.7% of the draws on the bounds.
    assert abs(scale.std() - 0.718 * 0.25) < 0.01
    assert abs(np.isclose(np.abs(scale - 1), 0.25).mean() - 0.317) < 0.03
    assert np.abs(rotation).max() <= 60 + 1e-4
    assert abs((rotation != 0).mean() - 0.6) < 0.03
    assert 25 < rotation[rotation != 0].std() < 31


def _tiny_sample(epoch):
    return dict(img=np.zeros((4, 6, 3), np.uint8), center=np.array([2, 2], np.float32),
                keypoints_2d=np.zeros((24, 3), np.float32), keypoints_3d=np.zeros((24, 4), np.float32),
                pose=np.zeros(72, np.float32), aug_seed=(0, 0, epoch, 3))


def test_randomness_is_keyed_and_leaves_global_state_alone():
    state = np.random.get_state()
    flip = MeshRandomFlip(0.5)

    def decisions():
        return [flip(_tiny_sample(epoch))['flip'] for epoch in range(64)]

    keyed = decisions()
    assert keyed == decisions() and 20 < sum(keyed) < 44
    a, b = MeshRandomChannelNoise(seed=7), MeshRandomChannelNoise(seed=7)
    img = np.full((4, 4, 3), 100, np.uint8)
    assert all(np.array_equal(a({'img': img})['img'], b({'img': img})['img']) for _ in range(5))
    assert np.array_equal(np.random.get_state()[1], state[1])


def test_load_image_errors_name_file_and_index(tmp_path):
    load = LoadImageFromFile()
    with pytest.raises(FileNotFoundError, match=r'nope\.jpg \(dataset index 17\)'):
        load({'img_path': str(tmp_path / 'nope.jpg'), 'sample_idx': 17})
    broken = tmp_path / 'broken.jpg'
    broken.write_bytes(b'not a jpeg at all')
    with pytest.raises(OSError, match=r'broken\.jpg \(dataset index 3\).*decoded'):
        load({'img_path': str(broken), 'sample_idx': 3})


def test_load_image_through_a_file_backend(fixtures_dir, tmp_path):
    path = str(fixtures_dir / 'h36m' / 'S7_Greeting.55011271_000396.jpg')
    loaded = LoadImageFromFile(backend_args=dict(backend='local'))({'img_path': path, 'sample_idx': 2})
    np.testing.assert_array_equal(loaded['img'], cv2.imread(path))
    assert loaded['img_shape'] == (1002, 1000)
    with pytest.raises(FileNotFoundError, match=r'gone\.jpg \(dataset index 9\)'):
        LoadImageFromFile(backend_args=dict(backend='local'))({'img_path': str(tmp_path / 'gone.jpg'), 'sample_idx': 9})


def _marker_scene(rng):
    """A 480x640 image with one coloured disc per joint, and the joints."""
    grid = np.stack(np.meshgrid(np.arange(6), np.arange(4)), -1).reshape(-1, 2)
    keypoints = np.zeros((24, 3), np.float32)
    keypoints[:, :2] = grid * [52, 60] + [190, 150] + rng.uniform(-4, 4, (24, 2))
    keypoints[:, 2] = 1
    keypoints[rng.choice(24, 3, replace=False), 2] = 0
    levels = (40, 140, 240)
    colours = np.array([(b, g, r) for b in levels for g in levels for r in levels][1:25], np.uint8)
    img = np.zeros((480, 640, 3), np.uint8)
    for (x, y, _), colour in zip(keypoints, colours):
        cv2.circle(img, (int(round(x)), int(round(y))), 11, colour.tolist(), -1)
    return img, keypoints, colours


def test_affine_crop_keeps_joints_on_their_image_content():
    rng = np.random.default_rng(3)
    pipeline = [MeshRandomFlip(0.5), MeshGetRandomScaleRotation(30, 0.25, 0.6), MeshAffine(224)]
    checked, flips, rotations = 0, 0, 0
    for sample in range(12):
        img, keypoints, colours = _marker_scene(rng)
        results = dict(img=img, center=np.array([320, 240], np.float32), scale=np.float32(2.0),
                       keypoints_2d=keypoints.copy(), keypoints_3d=np.zeros((24, 4), np.float32),
                       pose=np.zeros(72, np.float32), aug_seed=(0, 0, 0, sample))
        for transform in pipeline:
            results = transform(results)
        flips += results['flip']
        rotations += results['rotation'] != 0
        # After a flip, joint i sits on the disc painted for its mirror joint.
        owner = SPIN_FLIP if results['flip'] else np.arange(24)
        crop_px = (results['keypoints_2d'][:, :2] + 1) * 112
        for joint in range(24):
            x, y = crop_px[joint]
            if results['keypoints_2d'][joint, 2] == 0 or not (3 <= x <= 220 and 3 <= y <= 220):
                continue
            seen = results['img'][int(round(y)), int(round(x))].astype(int)
            np.testing.assert_allclose(seen, colours[owner[joint]], atol=2, err_msg=f'joint {joint}')
            checked += 1
        assert not results['keypoints_2d'][results['keypoints_2d'][:, 2] == 0, :2].any()
    assert checked > 150 and 0 < flips < 12 and 0 < rotations < 12


def test_affine_rotates_3d_consistently_with_2d():
    # 2D joints are an orthographic view of S: u = 400 X + 320, v = 400 Y + 240.
    rng = np.random.default_rng(5)
    pipeline = [MeshRandomFlip(0.5), MeshGetRandomScaleRotation(30, 0.25, 1.0), MeshAffine(224)]
    for sample in range(8):
        joints = rng.normal(0, 0.2, (24, 3)) + [0, 0, 5]
        keypoints_2d = np.concatenate([joints[:, :2] * 400 + [320, 240], np.ones((24, 1))], 1)
        results = dict(img=np.zeros((480, 640, 3), np.uint8), center=np.array([300, 250], np.float32),
                       scale=np.float32(2.0), keypoints_2d=keypoints_2d.astype(np.float32),
                       keypoints_3d=np.concatenate([joints, np.ones((24, 1))], 1).astype(np.float32),
                       pose=np.zeros(72, np.float32), aug_seed=(1, 0, 0, sample))
        for transform in pipeline:
            results = transform(results)
        assert results['rotation'] != 0
        xy_3d = results['keypoints_3d'][:, :2].astype(np.float64)
        # The crop view must again be an orthographic view: uv = a * XY + b, same a for u and v.
        design = np.concatenate([xy_3d.reshape(-1, 1), np.tile(np.eye(2), (24, 1))], 1)
        uv = results['keypoints_2d'][:, :2].astype(np.float64).reshape(-1)
        solution, residual, *_ = np.linalg.lstsq(design, uv, rcond=None)
        assert solution[0] > 0
        np.testing.assert_allclose(design @ solution, uv, atol=2e-4)
        depth = joints[SPIN_FLIP, 2] if results['flip'] else joints[:, 2]
        np.testing.assert_allclose(results['keypoints_3d'][:, 2], depth, atol=1e-5)


def test_pack_collate_and_preprocess(fixtures_dir):
    dataset = MeshBaseDataset(
        str(fixtures_dir / 'h36m' / 'test_h36m.npz'), img_prefix=str(fixtures_dir / 'h36m'),
        pipeline=[LoadImageFromFile(), MeshAffine(224), PackMeshInputs()])
    samples = [dataset[i] for i in range(4)]
    batch = default_collate(samples)
    assert batch['inputs'].shape == (4, 3, 224, 224) and batch['inputs'].dtype == torch.uint8
    expected = {'gt_keypoints_2d': (4, 24, 3), 'gt_keypoints_3d': (4, 24, 4), 'gt_pose': (4, 72),
                'gt_betas': (4, 10), 'has_smpl': (4, ), 'gender': (4, ), 'center': (4, 2), 'scale': (4, ),
                'sample_idx': (4, ), 'ori_shape': (4, 2), 'focal_length': (4, )}
    assert {k: tuple(v.shape) for k, v in batch['data_samples'].items()} == expected
    # The fixture has no focal lengths: CLIFF's estimate sqrt(W^2 + H^2) of each source image.
    height, width = batch['data_samples']['ori_shape'][0].tolist()
    assert (height, width) == cv2.imread(dataset.get_data_info(0)['img_path']).shape[:2]
    np.testing.assert_allclose(batch['data_samples']['focal_length'][0], (height ** 2 + width ** 2) ** 0.5)
    assert batch['data_samples']['gender'].dtype == torch.int64
    np.testing.assert_array_equal(batch['data_samples']['sample_idx'], [0, 1, 2, 3])
    np.testing.assert_allclose(batch['data_samples']['gt_pose'], dataset.columns['pose'])
    # Box centre maps to the crop centre: un-rotated test crop keeps joints inside [-1, 1].
    kp = batch['data_samples']['gt_keypoints_2d']
    assert (kp[..., :2].abs() <= 1).all()
    np.testing.assert_array_equal(kp[..., 2], dataset.columns['keypoints_2d'][..., 2])
    preprocessor = ImgDataPreprocessor(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
                                       bgr_to_rgb=True)
    out = preprocessor(batch)
    bgr = samples[2]['inputs'][:, 100, 50].double()
    rgb = (bgr.flip(0) - torch.tensor([123.675, 116.28, 103.53], dtype=torch.float64)) / torch.tensor(
        [58.395, 57.12, 57.375], dtype=torch.float64)
    np.testing.assert_allclose(out['inputs'][2, :, 100, 50].double(), rgb, atol=1e-5)
    assert out['data_samples']['gt_keypoints_3d'].shape == (4, 24, 4)


def test_keyed_transform_streams_equal_keyed_rng_in_every_thread():
    from concurrent.futures import ThreadPoolExecutor

    from mesh_recovery.datasets.seeding import keyed_rng, salt
    noise = MeshRandomChannelNoise(0.4)

    def draws(epoch):
        # The transform re-keys one generator per thread; the stream must be keyed_rng's.
        return noise.rng({'aug_seed': (0, 5, epoch, 3)}).random(4)

    expected = [keyed_rng(0, 5, epoch, 3, salt('MeshRandomChannelNoise')).random(4) for epoch in range(40)]
    np.testing.assert_array_equal(np.array([draws(e) for e in range(40)]), expected)
    with ThreadPoolExecutor(4) as pool:
        np.testing.assert_array_equal(np.array(list(pool.map(draws, range(40)))), expected)


def test_load_image_rejects_empty_files_and_folders(tmp_path):
    (tmp_path / 'empty.jpg').write_bytes(b'')
    with pytest.raises(OSError, match=r'empty\.jpg \(dataset index 4\).*decoded'):
        LoadImageFromFile()({'img_path': str(tmp_path / 'empty.jpg'), 'sample_idx': 4})
    (tmp_path / 'folder.jpg').mkdir()
    with pytest.raises(OSError, match=r'folder\.jpg \(dataset index 5\) is a directory'):
        LoadImageFromFile()({'img_path': str(tmp_path / 'folder.jpg'), 'sample_idx': 5})


def test_load_image_decodes_like_imread(fixtures_dir):
    path = str(fixtures_dir / 'h36m' / 'S1_Directions_1.54138969_000001.jpg')
    np.testing.assert_array_equal(LoadImageFromFile()({'img_path': path})['img'], cv2.imread(path))
    gray = LoadImageFromFile(color_type='grayscale')({'img_path': path})['img']
    np.testing.assert_array_equal(gray, cv2.imread(path, cv2.IMREAD_GRAYSCALE))


def test_the_crop_reads_the_image_as_given_whatever_its_strides(fixtures_dir):
    """A mirrored numpy view is just an image to MeshAffine: no flip is inferred from its memory layout."""
    sample = _fixture_sample(fixtures_dir, 2)
    view = dict(_copy(sample), img=sample['img'][:, ::-1])
    copy = dict(_copy(sample), img=np.ascontiguousarray(sample['img'][:, ::-1]))
    np.testing.assert_array_equal(MeshAffine(224)(view)['img'], MeshAffine(224)(copy)['img'])


def test_packing_refuses_a_flip_that_was_never_applied(fixtures_dir):
    sample = MeshRandomFlip.flip(_fixture_sample(fixtures_dir, 2))
    with pytest.raises(ValueError, match='put MeshAffine after MeshRandomFlip'):
        PackMeshInputs()(sample)


def test_packing_without_ground_truth_needs_only_the_box(fixtures_dir):
    sample = MeshAffine(224)(_fixture_sample(fixtures_dir, 2))
    box_only = {k: sample[k] for k in ('img', 'center', 'scale', 'sample_idx', 'ori_shape')}
    packed = PackMeshInputs(with_gt=False)(dict(box_only))
    assert set(packed['data_samples']) == {'center', 'scale', 'sample_idx', 'ori_shape', 'focal_length'}
    with pytest.raises(KeyError, match='keypoints_2d'):
        PackMeshInputs()(dict(box_only))
