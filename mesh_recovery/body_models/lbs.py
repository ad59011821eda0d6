"""Linear blend skinning (LBS): the reference SMPL forward pass, one readable function.

It follows the formulation of the SMPL paper (Loper et al. 2015, eqs. 2-4) in the
steps smplx's ``lbs`` uses (vchoutas/smplx, ``smplx/lbs.py``); rotations are
(..., 3, 3) matrices acting on column vectors, joint trees a parent list with
-1 for the root. :class:`~mesh_recovery.body_models.SMPL` runs it on every
device; on CPU, large batches (with or without autograd) may take the equivalent fast
path of :mod:`mesh_recovery.body_models.fast_cpu_body` instead.
"""
from typing import List, Optional, Sequence, Tuple

import torch
from torch import Tensor


def parents_first(parents: Sequence[int]) -> List[int]:
    """Joint ids ordered so that every joint comes after its parent (by depth, then id).

    Args:
        parents: parent of each joint, -1 for the root.
    """
    parents = [int(p) for p in parents]

    def depth(joint: int) -> int:
        return 0 if parents[joint] < 0 else 1 + depth(parents[joint])

    return sorted(range(len(parents)), key=lambda joint: (depth(joint), joint))


def lbs(betas: Tensor, rotmats: Tensor, v_template: Tensor, shapedirs: Tensor, posedirs: Optional[Tensor],
        j_regressor: Tensor, parents: Sequence[int], lbs_weights: Tensor) -> Tuple[Tensor, Tensor]:
    """Shape and pose a body model: rest template to posed vertices and joints.

    Args:
        betas: (B, S) shape coefficients.
        rotmats: (B, J, 3, 3) local joint rotations, the root (global orientation) first.
        v_template: (V, 3) rest template, metres.
        shapedirs: (V, 3, S) shape blend directions, metres per unit of beta.
        posedirs: (9 * (J - 1), V * 3) pose blend directions (vertex-major columns,
            index 3 * v + c), or None for a model without pose blend shapes.
        j_regressor: (J, V) rest-joint regressor.
        parents: (J,) parent of each joint, -1 for the root.
        lbs_weights: (V, J) skinning weights.

    Returns:
        Tuple of posed vertices (B, V, 3) and posed joints (B, J, 3), metres.
    """
    batch, num_joints = rotmats.shape[:2]
    # 1. Shape blend shapes: the rest mesh of each body shape, (B, V, 3).
    v_shaped = v_template + torch.einsum('bs,vcs->bvc', betas, shapedirs)
    # 2. Rest joints regressed from that mesh, (B, J, 3).
    rest_joints = torch.einsum('jv,bvc->bjc', j_regressor, v_shaped)
    # 3. Pose blend shapes, driven by each non-root rotation's difference from the identity:
    #    pose_feature (B, 9 * (J - 1)) @ posedirs -> (B, V, 3) corrective offsets.
    v_posed = v_shaped
    if posedirs is not None:
        eye = torch.eye(3, dtype=rotmats.dtype, device=rotmats.device)
        pose_feature = (rotmats[:, 1:] - eye).reshape(batch, -1)
        v_posed = v_shaped + (pose_feature @ posedirs).view(batch, -1, 3)
    # 4. Forward kinematics, parents before children: world rotation (B, 3, 3) and position
    #    (B, 3) of each joint; a child's rest offset from its parent turns with the parent.
    world_rot: List[Optional[Tensor]] = [None] * num_joints
    world_pos: List[Optional[Tensor]] = [None] * num_joints
    for joint in parents_first(parents):
        parent = int(parents[joint])
        if parent < 0:
            world_rot[joint], world_pos[joint] = rotmats[:, joint], rest_joints[:, joint]
            continue
        offset = (rest_joints[:, joint] - rest_joints[:, parent]).unsqueeze(-1)  # (B, 3, 1)
        world_rot[joint] = world_rot[parent] @ rotmats[:, joint]
        world_pos[joint] = world_pos[parent] + (world_rot[parent] @ offset).squeeze(-1)
    world_rot_t, world_pos_t = torch.stack(world_rot, dim=1), torch.stack(world_pos, dim=1)
    # 5. Each joint's rigid map of rest-pose points, x -> R_j (x - J_j) + P_j, as (B, J, 3, 4).
    translation = world_pos_t - (world_rot_t @ rest_joints.unsqueeze(-1)).squeeze(-1)
    affines = torch.cat([world_rot_t, translation.unsqueeze(-1)], dim=-1)
    # 6. Skinning: per vertex, the weighted sum of the joint maps, (B, 3, 4, V), applied to the
    #    pose-corrected rest vertex in homogeneous form, (B, 1, 4, V). Vertices come last so
    #    that the products run along long contiguous rows (forward and backward).
    blended = affines.reshape(batch, num_joints, 12).transpose(1, 2) @ lbs_weights.t()
    v_homogeneous = torch.cat([v_posed, v_posed.new_ones(v_posed.shape[:2] + (1, ))], dim=-1)
    vertices = (blended.view(batch, 3, 4, -1) * v_homogeneous.transpose(1, 2).unsqueeze(1)).sum(2)
    vertices = vertices.transpose(1, 2).contiguous()  # (B, V, 3)
    return vertices, world_pos_t


__all__ = ['lbs', 'parents_first']
