"""Loading mmpose 0.x HMR checkpoints: duplicates and SMPL buffers dropped, anything else strict."""
import os
import pickle
from collections import OrderedDict

import pytest
import torch

from mesh_recovery.engine import CheckpointMismatchError, load_checkpoint
from mesh_recovery.registry import MODELS

# Shapes of the SMPL buffers in mmpose's checkpoint (smplx SMPL layers + its regressor).
SMPL_BUFFERS = {
    'shapedirs': (6890, 3, 10), 'posedirs': (207, 20670), 'v_template': (6890, 3), 'J_regressor': (24, 6890),
    'lbs_weights': (6890, 24), 'parents': (24,), 'faces_tensor': (13776, 3),
    'vertex_joint_selector.extra_joints_idxs': (21,),
}


@pytest.fixture(scope='module')
def hmr_cfg(model_cfg, mean_params_path):
    return model_cfg(backbone=dict(type='ResNet', depth=50),
                     mesh_head=dict(type='HMRMeshHead', in_channels=2048, smpl_mean_params=mean_params_path))


def _mmpose_state_dict(model):
    """A state dict named and shaped like mmpose's released hmr_mesh_224x224 checkpoint."""
    g = torch.Generator().manual_seed(0)
    state = OrderedDict()
    for key, value in model.state_dict().items():
        state[key] = torch.randn(value.shape, generator=g).to(value.dtype) if value.is_floating_point() \
            else torch.randint(0, 100, value.shape, generator=g).to(value.dtype)
    for prefix, alias in (('backbone.', 'generator.0.'), ('mesh_head.', 'generator.1.')):
        for key in [k for k in state if k.startswith(prefix)]:
            state[alias + key[len(prefix):]] = state[key].clone()
    for gender in ('neutral', 'male', 'female'):
        for name, shape in SMPL_BUFFERS.items():
            state[f'smpl.smpl_{gender}.{name}'] = torch.zeros(shape if gender == 'neutral' else (1,))
    state['smpl.joints_regressor'] = torch.zeros(1, 24, 6890)
    state['joints_regressor'] = torch.zeros(1, 24, 6890)
    return state


@pytest.fixture(scope='module')
def released(hmr_cfg, tmp_path_factory):
    """(state dict, path) of a checkpoint laid out like mmpose's release."""
    state = _mmpose_state_dict(MODELS.build(hmr_cfg))
    return state, _save(tmp_path_factory.mktemp('released') / 'hmr.pth', state)


def _save(path, state):
    torch.save({'meta': {'mmcv_version': '1.3.8', 'epoch': 100, 'config': 'model = dict(...)'},
                'state_dict': state}, path)
    return str(path)


def test_our_names_are_mmposes(hmr_cfg):
    shapes = {k: tuple(v.shape) for k, v in MODELS.build(hmr_cfg).state_dict().items()}
    for key, shape in {'backbone.conv1.weight': (64, 3, 7, 7), 'backbone.layer4.2.bn3.running_var': (2048,),
                       'backbone.layer3.0.downsample.1.num_batches_tracked': (), 'mesh_head.fc1.weight': (1024, 2205),
                       'mesh_head.init_pose': (1, 144),
                       'discriminator.pose_discriminator.fc_layer.22.weight': (1, 32),
                       'discriminator.full_pose_discriminator.fc_blocks.regressor_fc_0.weight': (1024, 736),
                       'discriminator.shape_discriminator.fc_blocks.regressor_fc_1.bias': (1,)}.items():
        assert shapes[key] == shape, key


def test_released_layout_loads_and_drops_extras(hmr_cfg, released):
    state, path = released
    model = MODELS.build(hmr_cfg)
    meta = load_checkpoint(model, path)
    assert meta['epoch'] == 100
    for key, value in model.state_dict().items():
        assert torch.equal(value, state[key]), key


def test_duplicates_stand_in_for_missing_canonical_keys(hmr_cfg, released, tmp_path):
    state = OrderedDict(released[0])
    expected = state.pop('mesh_head.fc1.weight')
    model = MODELS.build(hmr_cfg)
    load_checkpoint(model, _save(tmp_path / 'hmr.pth', state))
    assert torch.equal(model.mesh_head.fc1.weight, expected)


def test_inconsistent_duplicates_are_an_error(hmr_cfg, released, tmp_path):
    state = OrderedDict(released[0])
    state['generator.0.conv1.weight'] = state['generator.0.conv1.weight'] + 1.0
    with pytest.raises(CheckpointMismatchError, match='backbone.conv1.weight'):
        load_checkpoint(MODELS.build(hmr_cfg), _save(tmp_path / 'hmr.pth', state))


def test_missing_and_unexpected_keys_are_listed(hmr_cfg, released, tmp_path):
    state = OrderedDict(released[0])
    del state['mesh_head.fc2.bias'], state['generator.1.fc2.bias']
    state['neck.weight'] = torch.zeros(3)
    model = MODELS.build(hmr_cfg)
    before = model.mesh_head.fc1.weight.clone()
    with pytest.raises(CheckpointMismatchError) as info:
        load_checkpoint(model, _save(tmp_path / 'hmr.pth', state))
    assert 'missing in' in str(info.value) and 'mesh_head.fc2.bias' in str(info.value)
    assert 'unexpected in' in str(info.value) and 'neck.weight' in str(info.value)
    assert torch.equal(model.mesh_head.fc1.weight, before)  # nothing half-loaded


def test_shape_mismatch_is_listed(model_cfg, released):
    with pytest.raises(CheckpointMismatchError, match='shape mismatch.*mesh_head.fc1.weight'):
        load_checkpoint(MODELS.build(model_cfg(backbone=dict(type='ResNet', depth=50))), released[1])


def test_distributed_prefix_and_own_checkpoints(hmr_cfg, released, tmp_path):
    model = MODELS.build(hmr_cfg)
    state = {'module.' + k: v for k, v in released[0].items()}
    load_checkpoint(model, _save(tmp_path / 'ddp.pth', state))
    path = tmp_path / 'ours.pth'
    torch.save({'meta': {}, 'state_dict': model.state_dict()}, path)
    again = MODELS.build(hmr_cfg)
    load_checkpoint(again, str(path))
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in again.state_dict().items())


class _Payload:

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}',)


def test_code_in_a_checkpoint_is_refused(hmr_cfg, tmp_path):
    marker = tmp_path / 'ran'
    path = tmp_path / 'evil.pth'
    torch.save({'meta': _Payload(marker), 'state_dict': {}}, path)
    model = MODELS.build(hmr_cfg)
    with pytest.raises(pickle.UnpicklingError, match='refusing'):
        load_checkpoint(model, str(path))
    assert not marker.exists()
    with pytest.raises(FileNotFoundError, match='checkpoint not found'):
        load_checkpoint(model, str(tmp_path / 'absent.pth'))
