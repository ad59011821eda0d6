"""HMR 2.0: the transformer decoder head against a reference written from HMR 2.0's definitions, its loss, overfit."""
import torch
import torch.nn.functional as F

from mesh_recovery.engine import MultiOptimWrapperConstructor
from mesh_recovery.geometry.camera import project_to_crop
from mesh_recovery.models.heads import HMR2TransformerHead
from mesh_recovery.models.losses import HMR2Loss
from mesh_recovery.registry import MODELS

STEPS = 60
SIZES = dict(in_channels=12, dim=16, depth=2, heads=2, dim_head=4, mlp_dim=20)


def _reference_head(state, x, depth, heads):
    """HMR 2.0's SMPLTransformerDecoderHead.forward on its state dict (4D-Humans pose_transformer.py)."""
    def linear(name, t, bias=True):
        return F.linear(t, state[f'{name}.weight'], state[f'{name}.bias'] if bias else None)

    def attend(q, k, v):
        b = q.shape[0]
        q, k, v = (t.reshape(b, t.shape[1], heads, -1).permute(0, 2, 1, 3) for t in (q, k, v))
        attn = torch.softmax(q @ k.transpose(-1, -2) * q.shape[-1] ** -0.5, dim=-1)
        return (attn @ v).permute(0, 2, 1, 3).reshape(b, -1, heads * q.shape[-1])

    def norm(name, t):
        return F.layer_norm(t, t.shape[-1:], state[f'{name}.weight'], state[f'{name}.bias'])

    b = x.shape[0]
    context = x.reshape(b, x.shape[1], -1).permute(0, 2, 1)
    t = linear('transformer.to_token_embedding', torch.zeros(b, 1, 1)) + state['transformer.pos_embedding']
    for i in range(depth):
        p = f'transformer.transformer.layers.{i}'
        q, k, v = linear(f'{p}.0.fn.to_qkv', norm(f'{p}.0.norm', t), bias=False).chunk(3, dim=-1)
        t = linear(f'{p}.0.fn.to_out.0', attend(q, k, v)) + t
        k, v = linear(f'{p}.1.fn.to_kv', context, bias=False).chunk(2, dim=-1)
        q = linear(f'{p}.1.fn.to_q', norm(f'{p}.1.norm', t), bias=False)
        t = linear(f'{p}.1.fn.to_out.0', attend(q, k, v)) + t
        hidden = F.gelu(linear(f'{p}.2.fn.net.0', norm(f'{p}.2.norm', t)))
        t = linear(f'{p}.2.fn.net.3', hidden) + t
    t = t[:, 0]
    pose = linear('decpose', t) + state['init_body_pose']
    betas = linear('decshape', t) + state['init_betas']
    cam = linear('deccam', t) + state['init_cam']
    # HMR 2.0's rot6d_to_rotmat: reshape(2, 3) -> columns a1, a2; Gram-Schmidt.
    a = pose.reshape(-1, 2, 3)
    b1 = F.normalize(a[:, 0], dim=-1)
    b2 = F.normalize(a[:, 1] - (b1 * a[:, 1]).sum(-1, keepdim=True) * b1, dim=-1)
    rotmat = torch.stack([b1, b2, torch.linalg.cross(b1, b2)], dim=-1).reshape(b, 24, 3, 3)
    return rotmat, betas, cam


def test_head_matches_hmr2s_forward_on_the_same_weights():
    torch.manual_seed(0)
    head = HMR2TransformerHead(**SIZES).eval()
    with torch.no_grad():
        for p in head.parameters():
            p.normal_(0.0, 0.3)
        head.init_body_pose.normal_()
    x = torch.randn(3, 12, 4, 3)
    out = head(x)
    rotmat, betas, cam = _reference_head(head.state_dict(), x, depth=2, heads=2)
    torch.testing.assert_close(out.pred_rotmat, rotmat, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out.pred_betas, betas, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out.pred_camera, cam, atol=1e-5, rtol=1e-5)


def test_zero_readout_gives_the_mean_identity_pose():
    head = HMR2TransformerHead(**SIZES).eval()
    with torch.no_grad():
        for layer in (head.decpose, head.decshape, head.deccam):
            layer.weight.zero_()
            layer.bias.zero_()
    out = head(torch.randn(2, 12, 4, 3))
    torch.testing.assert_close(out.pred_rotmat, torch.eye(3).expand(2, 24, 3, 3))
    torch.testing.assert_close(out.pred_camera, torch.tensor([[1.0, 0.0, 0.0]] * 2))


def test_loss_terms_are_hmr2s_sums_and_weights():
    torch.manual_seed(0)
    b = 2
    rot = torch.linalg.matrix_exp(torch.randn(b, 24, 3, 3) * 0.1 - (torch.randn(b, 24, 3, 3) * 0.1).transpose(-1, -2))
    joints = torch.randn(b, 24, 3)
    cam = torch.tensor([[0.9, 0.1, -0.1], [1.1, 0.0, 0.2]])
    gt_2d = torch.cat([torch.rand(b, 24, 2) * 2 - 1, torch.rand(b, 24, 1)], 2)
    gt_3d = torch.cat([torch.randn(b, 24, 3), torch.rand(b, 24, 1)], 2)
    betas, gt_betas = torch.randn(b, 10), torch.randn(b, 10)
    has_smpl = torch.tensor([1.0, 0.0])
    losses = HMR2Loss(img_res=256)(pred_rotmat=rot, pred_betas=betas, pred_camera=cam, pred_keypoints_3d=joints,
                                    gt_pose=torch.zeros(b, 72), gt_betas=gt_betas, gt_keypoints_2d=gt_2d,
                                    gt_keypoints_3d=gt_3d, has_smpl=has_smpl)
    pred_2d = project_to_crop(joints, cam, 5000.0, 256) / 2
    expected_2d = (gt_2d[..., 2:] * (pred_2d - gt_2d[..., :2] / 2).abs()).sum()
    pelvis = 14
    error_3d = (joints - joints[:, [pelvis]]) - (gt_3d[..., :3] - gt_3d[:, [pelvis], :3])
    expected_3d = (gt_3d[..., 3:] * error_3d.abs()).sum()
    eye = torch.eye(3)
    torch.testing.assert_close(losses['loss_keypoints_2d'], 0.01 * expected_2d)
    torch.testing.assert_close(losses['loss_keypoints_3d'], 0.05 * expected_3d)
    torch.testing.assert_close(losses['loss_global_orient'], 0.001 * ((rot[0, 0] - eye) ** 2).sum())
    torch.testing.assert_close(losses['loss_body_pose'], 0.001 * ((rot[0, 1:] - eye) ** 2).sum())
    torch.testing.assert_close(losses['loss_betas'], 0.0005 * ((betas[0] - gt_betas[0]) ** 2).sum())


def _mesh_loss(model, batch):
    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(batch, False)
        losses = model.generator_loss(model.extract(data['inputs']), data['data_samples'])
    model.train()
    return sum(v.item() for k, v in losses.items() if k != 'loss_adv')


def test_hmr2_overfits_four_samples(model_cfg, make_batch, mean_params_path):
    torch.manual_seed(0)
    model = MODELS.build(model_cfg(
        img_res=64,
        backbone=dict(type='TimmBackbone', model_name='vit_base_patch16_224', input_width=48,
                      model_kwargs=dict(img_size=(64, 48), patch_size=16, embed_dim=64, depth=2, num_heads=4,
                                        class_token=False)),
        mesh_head=dict(type='HMR2TransformerHead', in_channels=64, smpl_mean_params=mean_params_path, dim=64,
                       depth=2, heads=4, dim_head=16, mlp_dim=64),
        loss_mesh=dict(type='HMR2Loss'), loss_gan=dict(type='GANLoss', gan_type='lsgan', loss_weight=0.0125)))
    wrappers = MultiOptimWrapperConstructor(dict(
        generator=dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=3e-4, weight_decay=1e-4)),
        discriminator=dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-5, weight_decay=1e-4))))(model)
    batch = make_batch(model.smpl, batch=4, img_res=64)
    model.train()
    before = _mesh_loss(model, batch)
    for _ in range(STEPS):
        logs = model.train_step(batch, wrappers)
        assert all(torch.isfinite(v) for v in logs.values())
    after = _mesh_loss(model, batch)
    assert after < before / 5, f'mesh loss {before:.3f} -> {after:.3f} after {STEPS} steps'
