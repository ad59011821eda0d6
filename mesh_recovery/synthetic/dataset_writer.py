"""Write synthetic HMR datasets in the SPIN / mmpose annotation format.

Each sample draws its pose, shape, camera, light, colours and background from
its own generator seeded by ``(seed, split, index)``, so a split is identical
whatever the number of worker processes, and any sample can be regenerated
alone.
"""
import multiprocessing
import os
import os.path as osp
from typing import Dict, List, NamedTuple, Optional, Tuple

import cv2
import numpy as np
import torch
from scipy.spatial.transform import Rotation

from mesh_recovery.body_models import SMPL
from mesh_recovery.body_models.io import find_optional_gender_path
from mesh_recovery.body_models.smpl import GENDER_CODES
from mesh_recovery.conventions import MPI_INF_3DHP_17, SPIN_24, joint_indices
from mesh_recovery.datasets.annotation_format import H36M_TEST_KEYS, PW3D_KEYS, REQUIRED_KEYS, TRAIN_KEYS
from mesh_recovery.utils.npz import save_npz_deterministic
from mesh_recovery.visualization import MeshRenderer, PerspectiveCamera, visible_points

from .pose_sampler import PoseSampler
from .scene_sampler import REGIONS, make_background, sample_scene, vertex_regions
from .shape_sampler import ShapeSampler

SPLIT_CODES = {'train': 0, 'test': 1, 'prior': 2, 'pw3d_test': 3, 'mpi_inf_3dhp_test': 4}
# SPIN's box: the person's extent times this margin, as side = scale * 200 px.
BOX_MARGIN = 1.2
# Joints lie inside the body; a joint counts as visible when no surface is
# more than this far (metres) in front of it.
VISIBILITY_TOLERANCE_M = 0.12
MIN_PERSON_PIXELS = 300
MAX_ATTEMPTS = 8
# SMPL's y-up body frame -> the camera frame (y down, z forward).
BODY_TO_CAMERA = Rotation.from_euler('x', 180.0, degrees=True)


def sample_rng(seed: int, split: str, index: int, attempt: int = 0) -> np.random.Generator:
    """The generator of one sample (independent of worker layout)."""
    return np.random.default_rng([seed, SPLIT_CODES[split], index, attempt])


def to_camera_frame(pose: np.ndarray) -> np.ndarray:
    """Rotate the global orientation of body-frame poses (N, 72) into the camera frame."""
    pose = pose.copy()
    pose[:, :3] = (BODY_TO_CAMERA * Rotation.from_rotvec(pose[:, :3])).as_rotvec()
    return pose


class SyntheticSample(NamedTuple):
    """One rendered sample before it is written.

    Attributes:
        image: (H, W, 3) uint8 BGR image.
        mask: (H, W) bool person mask.
        camera: The perspective camera of the image (camera frame = world frame).
        record: Annotation of the sample in SPIN format (one row of the npz).
    """
    image: np.ndarray
    mask: np.ndarray
    camera: PerspectiveCamera
    record: Dict[str, np.ndarray]


_WORKER_WRITER = None


def _focal(records: Dict[str, np.ndarray]) -> np.ndarray:
    """The true focal length (N,) px of each rendered image (square pixels: fx == fy)."""
    return np.asarray(records['focal_length'], dtype=np.float32)[:, 0]


def _init_worker(writer_args: tuple) -> None:
    # Each spawned worker builds its own writer: forking a process whose torch
    # thread pool is already running can deadlock the child.
    global _WORKER_WRITER
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    _WORKER_WRITER = SyntheticDatasetWriter(*writer_args)


def _render_range_in_worker(split: str, start: int, stop: int) -> List[Dict[str, np.ndarray]]:
    return _WORKER_WRITER._render_range(split, start, stop)


class SyntheticDatasetWriter:
    """Render the free body model into SPIN-format training, test and prior files.

    Args:
        body_model: Path of the body model file (e.g. ``models/free_body/body_model.npz``).
        joints_regressor: Path of its (24, V) SPIN-24 joints regressor.
        out_dir: Root of the dataset tree (``data/synthetic``).
        seed: Seed of the whole dataset.
        num_workers: Processes that render in parallel (results do not depend on it). They are
            spawned, so scripts that use more than one must guard their entry point with
            ``if __name__ == "__main__":``.
        jpeg_quality: JPEG quality of the written images.
    """

    def __init__(self, body_model: str, joints_regressor: str, out_dir: str, seed: int = 0,
                 num_workers: int = 2, jpeg_quality: int = 90) -> None:
        self.smpl = SMPL(body_model, joints_regressor=joints_regressor)
        self.gendered_smpl = self._gendered_body(body_model, joints_regressor)
        # Constructor arguments of the single-process writer each spawned worker builds.
        self._args = (body_model, joints_regressor, out_dir, seed, 1, jpeg_quality)
        self.out_dir = out_dir
        self.seed = int(seed)
        self.num_workers = max(1, int(num_workers))
        self.jpeg_quality = int(jpeg_quality)
        self.pose_sampler = PoseSampler()
        self.shape_sampler = ShapeSampler()
        self.faces = self.smpl.faces.numpy()
        weights = self._skinning_weights(body_model)
        self.regions = vertex_regions(weights)

    @staticmethod
    def _gendered_body(body_model: str, joints_regressor: str) -> Optional[SMPL]:
        """The male and female models beside ``body_model`` (with the neutral one), or None."""
        folder = osp.dirname(body_model) if osp.isfile(body_model) else body_model
        if not all(find_optional_gender_path(folder, g) for g in ('male', 'female')):
            return None
        return SMPL(folder, joints_regressor=joints_regressor)

    @staticmethod
    def _skinning_weights(body_model: str) -> np.ndarray:
        from mesh_recovery.body_models.io import load_body_model_data
        return load_body_model_data(body_model).weights

    def annotation_path(self, name: str) -> str:
        return osp.join(self.out_dir, 'mesh_annotation_files', f'{name}.npz')

    def write_train(self, num: int, name: str = 'synthetic_train') -> str:
        """Training split: imgname, center, scale, part, S, pose, shape, has_smpl, focal_length (true, px)."""
        records = self._render_split('train', num)
        self._save_cameras(name, records)
        return self._save(name, dict({k: records[k] for k in TRAIN_KEYS}, focal_length=_focal(records)))

    def write_test(self, num: int, name: str = 'synthetic_test') -> str:
        """Human3.6M-like test split: imgname, center, scale, S (as the real protocol files), focal_length."""
        records = self._render_split('test', num)
        self._save_cameras(name, records)
        arrays = {k: records[k] for k in H36M_TEST_KEYS}
        return self._save(name, dict(arrays, focal_length=_focal(records)))

    def write_pw3d_test(self, num: int, name: str = 'synthetic_3dpw_test') -> str:
        """3DPW-like test split: the keys SPIN's pw3d.py writes (imgname, center, scale, pose, shape, gender).

        With male and female models beside the body model (the free body model
        has them), sample ``i`` is posed and rendered with the male model for even
        ``i`` and the female one for odd ``i`` and its ``gender`` says which
        (``'m'`` / ``'f'``), as in 3DPW; otherwise every sample uses the neutral
        model and ``gender`` is ``'n'`` (score it with ``gt_gender='neutral'``).
        """
        records = self._render_split('pw3d_test', num)
        self._save_cameras(name, records)
        return self._save(name, {k: records[k] for k in PW3D_KEYS})

    def write_mpi_inf_3dhp_test(self, num: int, name: str = 'synthetic_3dhp_test') -> str:
        """MPI-INF-3DHP-like test split as SPIN's test extraction writes it (imgname, center, scale, part, S).

        Only the 17 protocol joints are filled (confidence 1), and ``S`` is
        centred on the pelvis, as in ``mpi_inf_3dhp_test.npz``.
        """
        records = self._render_split('mpi_inf_3dhp_test', num)
        self._save_cameras(name, records)
        slots = joint_indices(MPI_INF_3DHP_17, SPIN_24)
        pelvis = joint_indices(('pelvis_mpii', ), SPIN_24)[0]
        part = np.zeros_like(records['part'])
        part[:, slots, :2] = records['part'][:, slots, :2]
        part[:, slots, 2] = 1.0
        joints = np.zeros_like(records['S'])
        joints[:, slots, :3] = records['S'][:, slots, :3] - records['S'][:, [pelvis], :3]
        joints[:, slots, 3] = 1.0
        arrays = {k: records[k] for k in REQUIRED_KEYS}
        return self._save(name, dict(arrays, part=part, S=joints))

    def write_prior(self, num: int, name: str = 'synthetic_mosh') -> str:
        """MoSh-like pose prior: pose (N, 72) in the body frame and shape (N, 10)."""
        rng = np.random.default_rng([self.seed, SPLIT_CODES['prior']])
        pose = self.pose_sampler.sample(num, rng).pose
        shape = self.shape_sampler.sample(num, rng)
        return self._save(name, dict(pose=pose.astype(np.float64), shape=shape.astype(np.float64)))

    def _save_cameras(self, name: str, records: Dict[str, np.ndarray]) -> str:
        # The real annotation files carry no intrinsics; keep them beside, for checks.
        return self._save(f'{name}_cameras', {k: records[k] for k in ('focal_length', 'principal_point')})

    def _save(self, name: str, arrays: Dict[str, np.ndarray]) -> str:
        path = self.annotation_path(name)
        os.makedirs(osp.dirname(path), exist_ok=True)
        save_npz_deterministic(path, arrays)
        return path

    def _render_split(self, split: str, num: int) -> Dict[str, np.ndarray]:
        os.makedirs(osp.join(self.out_dir, 'images', split), exist_ok=True)
        bounds = np.linspace(0, num, self.num_workers + 1).astype(int)
        jobs = [(split, int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]
        if self.num_workers > 1 and len(jobs) > 1:
            context = multiprocessing.get_context('spawn')
            with context.Pool(len(jobs), initializer=_init_worker, initargs=(self._args,)) as pool:
                parts = pool.starmap(_render_range_in_worker, jobs)
        else:
            parts = [self._render_range(*job) for job in jobs]
        samples = [sample for part in parts for sample in part]
        return {key: np.stack([s[key] for s in samples]) for key in samples[0]}

    def _render_range(self, split: str, start: int, stop: int) -> List[Dict[str, np.ndarray]]:
        records = []
        for index in range(start, stop):
            sample = self.render_sample(split, index)
            path = osp.join(self.out_dir, str(sample.record['imgname']))
            ok, encoded = cv2.imencode('.jpg', sample.image, [cv2.IMWRITE_JPEG_QUALITY, self.jpeg_quality])
            if not ok:
                raise RuntimeError(f'could not encode {path}')
            encoded.tofile(path)
            records.append(dict(sample.record, focal_length=np.array(sample.camera.focal_length),
                                principal_point=np.array(sample.camera.principal_point)))
        return records

    def render_sample(self, split: str, index: int) -> SyntheticSample:
        """Render sample ``index`` of ``split`` (``train`` or ``test``) without writing it."""
        for attempt in range(MAX_ATTEMPTS):
            sample = self._try_sample(split, index, attempt)
            if sample is not None:
                return sample
        raise RuntimeError(f'sample {index} of split {split!r}: no attempt put the person in view')

    def _gender(self, split: str, index: int) -> str:
        """``'m'`` / ``'f'`` alternating for the 3DPW-like split when gendered models exist, else ``'n'``."""
        if split != 'pw3d_test' or self.gendered_smpl is None:
            return 'n'
        return 'm' if index % 2 == 0 else 'f'

    def _pose_body(self, rng: np.random.Generator,
                   gender: str = 'n') -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        pose = to_camera_frame(self.pose_sampler.sample(1, rng).pose.astype(np.float64))
        betas = self.shape_sampler.sample(1, rng)
        body, code = self.smpl, None
        if gender != 'n':
            body, code = self.gendered_smpl, torch.tensor([GENDER_CODES['male' if gender == 'm' else 'female']])
        with torch.no_grad():
            out = body(torch.from_numpy(betas).float(), torch.from_numpy(pose).float(), gender=code)
        root = out.joints_smpl[0, 0].numpy()
        return pose[0], betas[0], out.vertices[0].numpy() - root, out.joints[0].numpy() - root

    def _try_sample(self, split: str, index: int, attempt: int) -> Optional[SyntheticSample]:
        rng = sample_rng(self.seed, split, index, attempt)
        gender = self._gender(split, index)
        pose, betas, vertices, joints = self._pose_body(rng, gender)
        scene = sample_scene(rng)
        vertices = vertices + scene.translation
        joints = joints + scene.translation
        width, height = scene.image_size
        camera = PerspectiveCamera(focal_length=(scene.focal_length, scene.focal_length),
                                   principal_point=scene.principal_point)
        renderer = MeshRenderer(height=height, width=width, light_dir=tuple(scene.light_dir),
                                ambient=scene.ambient)
        colors = scene.region_colors[self.regions]
        rendered = renderer.render(vertices, self.faces, camera, image=make_background(rng, scene.image_size),
                                   vertex_colors=colors)
        if rendered.mask.sum() < MIN_PERSON_PIXELS:
            return None
        keypoints, _ = camera.project(joints)
        visible = visible_points(joints, rendered.depth, camera, VISIBILITY_TOLERANCE_M)
        ys, xs = np.nonzero(rendered.mask)
        box_min, box_max = np.array([xs.min(), ys.min()]), np.array([xs.max(), ys.max()]) + 1.0
        record = dict(
            imgname=np.array(f'images/{split}/{index:06d}.jpg'),
            center=((box_min + box_max) / 2.0).astype(np.float64),
            scale=np.array(BOX_MARGIN * (box_max - box_min).max() / 200.0),
            part=np.concatenate([keypoints, visible[:, None]], axis=1).astype(np.float64),
            S=np.concatenate([joints, np.ones((len(joints), 1))], axis=1).astype(np.float64),
            pose=pose.astype(np.float64),
            shape=betas.astype(np.float64),
            has_smpl=np.array(1.0),
            gender=np.array(gender))
        return SyntheticSample(rendered.image, rendered.mask, camera, record)
