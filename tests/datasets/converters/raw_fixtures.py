"""Writers of tiny raw-format datasets (the layouts the converters read), for the tests."""
import os
import os.path as osp
from typing import Callable, Sequence

import cv2
import numpy as np

GRAY_STEP = 20  # frame k of a fabricated video is a flat image of gray level GRAY_STEP * k


def write_video(path: str, num_frames: int, fourcc: str = 'mp4v', size=(64, 48)) -> str:
    """A video whose frame k is flat gray ``GRAY_STEP * k`` (so an image tells its frame index)."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*fourcc), 25, size)
    assert writer.isOpened(), f'OpenCV cannot write {path}'
    for k in range(num_frames):
        writer.write(np.full((size[1], size[0], 3), GRAY_STEP * k, np.uint8))
    writer.release()
    return path


def frame_index(image_path: str) -> int:
    """The frame index a fabricated video frame carries."""
    image = cv2.imread(image_path)
    assert image is not None, image_path
    return int(round(float(image.mean()) / GRAY_STEP))


def write_cdf(path: str, pose: np.ndarray) -> str:
    """A Human3.6M-style CDF file with one record of ``Pose`` (N, W) float32."""
    from cdflib.cdfwrite import CDF
    os.makedirs(osp.dirname(path), exist_ok=True)
    if osp.exists(path):
        os.remove(path)
    cdf = CDF(path, cdf_spec={'Compressed': 0})
    data = np.asarray(pose, np.float32)[None]
    cdf.write_var({'Variable': 'Pose', 'Data_Type': CDF.CDF_FLOAT, 'Num_Elements': 1, 'Rec_Vary': True,
                   'Dim_Sizes': list(data.shape[1:])}, var_data=data)
    cdf.close()
    return path


def write_mask_mat(path: str, boxes: Sequence[Sequence[int]], height: int = 48, width: int = 64) -> str:
    """A MATLAB v7.3-style ground_truth_bb file: ``Masks`` (N, 1) references to (W, H) masks.

    ``boxes[f] = (x0, y0, x1, y1)``: mask pixels ``x0 <= x < x1``, ``y0 <= y < y1`` are 1.
    """
    import h5py
    os.makedirs(osp.dirname(path), exist_ok=True)
    with h5py.File(path, 'w') as f:
        refs = f.create_dataset('Masks', (len(boxes), 1), dtype=h5py.ref_dtype)
        for k, (x0, y0, x1, y1) in enumerate(boxes):
            mask = np.zeros((height, width), np.uint8)
            mask[y0:y1, x0:x1] = 1
            refs[k, 0] = f.create_dataset(f'#refs#/m{k}', data=mask.T).ref  # MATLAB stores transposed
    return path


def h36m_pose(num_frames: int, width: int = 96) -> np.ndarray:
    """Poses whose value at (frame f, column c) is ``100 * f + c`` (millimetres / pixels)."""
    return (100.0 * np.arange(num_frames)[:, None] + np.arange(width)[None]).astype(np.float32)


def h36m_box(frame: int):
    return (2 + frame, 3, 20 + frame, 30)


def write_h36m_sequence(root: str, subject: str, name: str, num_poses: int, num_video: int,
                        with_2d: bool = False) -> None:
    """One Human3.6M sequence: D3 (and D2) CDF, mask file, video."""
    features = osp.join(root, subject, 'MyPoseFeatures')
    write_cdf(osp.join(features, 'D3_Positions_mono', name + '.cdf'), h36m_pose(num_poses))
    if with_2d:
        write_cdf(osp.join(features, 'D2_Positions', name + '.cdf'), h36m_pose(num_poses, 64))
    write_mask_mat(osp.join(root, subject, 'MySegmentsMat', 'ground_truth_bb', name + '.mat'),
                   [h36m_box(f) for f in range(num_poses)])
    write_video(osp.join(root, subject, 'Videos', name + '.mp4'), num_video)


def write_file(path: str, writer: Callable[[str], None]) -> str:
    os.makedirs(osp.dirname(path), exist_ok=True)
    writer(path)
    return path
