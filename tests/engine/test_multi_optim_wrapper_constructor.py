"""MultiOptimWrapperConstructor: explicit parts, disjoint parameters, clear errors."""
import pytest
import torch.nn as nn
from mmengine.optim import OptimWrapperDict

from mesh_recovery.engine import MultiOptimWrapperConstructor
from mesh_recovery.registry import OPTIM_WRAPPER_CONSTRUCTORS


class _Gan(nn.Module):

    def __init__(self, groups=None):
        super().__init__()
        self.backbone = nn.Linear(4, 4)
        self.mesh_head = nn.Linear(4, 2)
        self.discriminator = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
        self.frozen = nn.Linear(2, 2).requires_grad_(False)
        self._groups = groups or {'generator': ['backbone', 'mesh_head'], 'discriminator': ['discriminator']}

    def optim_groups(self):
        return self._groups


CFG = dict(generator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=2.5e-4)),
           discriminator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4)))


def test_builds_one_wrapper_per_part_with_its_own_parameters():
    model = _Gan()
    constructor = OPTIM_WRAPPER_CONSTRUCTORS.build(dict(type='MultiOptimWrapperConstructor', optim_wrapper_cfg=CFG))
    wrappers = constructor(model)
    assert isinstance(wrappers, OptimWrapperDict) and set(wrappers.keys()) == {'generator', 'discriminator'}
    gen = {id(p) for g in wrappers['generator'].optimizer.param_groups for p in g['params']}
    disc = {id(p) for g in wrappers['discriminator'].optimizer.param_groups for p in g['params']}
    assert gen == {id(p) for m in (model.backbone, model.mesh_head) for p in m.parameters()}
    assert disc == {id(p) for p in model.discriminator.parameters()}
    assert wrappers['generator'].get_lr()['lr'] == [2.5e-4]
    assert wrappers['discriminator'].get_lr()['lr'] == [1e-4]


def test_paramwise_cfg_sees_model_parameter_names():
    cfg = dict(CFG, generator=dict(CFG['generator'], paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)})))
    wrappers = MultiOptimWrapperConstructor(cfg)(_Gan())
    lrs = sorted(g['lr'] for g in wrappers['generator'].optimizer.param_groups)
    assert lrs[0] == pytest.approx(2.5e-5) and lrs[-1] == pytest.approx(2.5e-4)


def test_mismatched_parts_are_reported():
    with pytest.raises(KeyError, match='do not match'):
        MultiOptimWrapperConstructor(dict(generator=CFG['generator']))(_Gan())


def test_overlap_and_orphans_are_reported():
    overlap = _Gan({'generator': ['backbone', 'mesh_head', 'discriminator'], 'discriminator': ['discriminator']})
    with pytest.raises(ValueError, match='belongs to both'):
        MultiOptimWrapperConstructor(CFG)(overlap)
    orphan = _Gan({'generator': ['backbone'], 'discriminator': ['discriminator']})
    with pytest.raises(ValueError, match='mesh_head.weight'):
        MultiOptimWrapperConstructor(CFG)(orphan)
    with pytest.raises(AttributeError, match='not a submodule'):
        MultiOptimWrapperConstructor(CFG)(_Gan({'generator': ['backbone', 'mesh_head', 'neck'],
                                                 'discriminator': ['discriminator']}))


def test_model_without_optim_groups_and_bad_configs():
    with pytest.raises(TypeError, match='optim_groups'):
        MultiOptimWrapperConstructor(CFG)(nn.Linear(2, 2))
    with pytest.raises(TypeError, match='optimizer'):
        MultiOptimWrapperConstructor(dict(generator=dict(type='OptimWrapper')))
    with pytest.raises(ValueError, match='paramwise_cfg'):
        MultiOptimWrapperConstructor(CFG, paramwise_cfg=dict(norm_decay_mult=0.0))
