"""Score the mean-pose baseline (the head's mean parameters for every image) with any protocol metric.

A trained model must beat predicting the same mean body for every image; the
main job prints both on the same test set. The baseline needs no images: it
feeds the metric the mean parameters as every sample's prediction, with the
ground truth read from the annotation file.
"""
from typing import Dict

import numpy as np
import torch
from mmengine.evaluator import BaseMetric

from mesh_recovery.datasets.spin_annotations import load_spin_annotations
from mesh_recovery.geometry.rotation import rot6d_to_matrix


def mean_pose_baseline(metric: BaseMetric, ann_file: str, mean_params: str, batch_size: int = 256,
                       keypoints_3d: np.ndarray = None) -> Dict[str, float]:
    """The metric's figures when every sample is predicted as the mean parameters.

    Args:
        metric: A built metric (``PW3DError``, ``MPIINF3DHPError``, ``JointError``, ...);
            its results are cleared first.
        ann_file: The test set's SPIN-format annotation file (its ``pose``,
            ``shape``, ``gender`` and ``S`` are the ground truth).
        mean_params: ``smpl_mean_params.npz``-style file (``pose`` (144,) 6D, ``shape`` (10,)).
        batch_size: Samples per ``process`` call.
        keypoints_3d: ``(24, 3)`` joints of the mean body (metres), for metrics
            that read ``keypoints_3d``; None leaves them out.

    Returns:
        ``metric.compute_metrics`` over all samples of ``ann_file``.
    """
    columns = load_spin_annotations(ann_file)
    with np.load(mean_params) as mean:
        rotmat = rot6d_to_matrix(torch.from_numpy(mean['pose']).float().view(1, 24, 6))[0].numpy()
        betas = np.asarray(mean['shape'], dtype=np.float32).reshape(-1)
    metric.results.clear()
    num = len(columns['imgname'])
    for start in range(0, num, batch_size):
        stop = min(num, start + batch_size)
        batch = {'data_samples': {'gt_pose': torch.from_numpy(columns['pose'][start:stop].copy()),
                                  'gt_betas': torch.from_numpy(columns['betas'][start:stop].copy()),
                                  'gender': torch.from_numpy(columns['gender'][start:stop].copy())}}
        predictions = []
        for i in range(start, stop):
            sample = {'smpl_pose': rotmat, 'smpl_beta': betas, 'gt_keypoints_3d': columns['keypoints_3d'][i],
                      'sample_idx': np.int64(i)}
            if keypoints_3d is not None:
                sample['keypoints_3d'] = keypoints_3d
            predictions.append(sample)
        metric.process(batch, predictions)
    return metric.compute_metrics(metric.results)
