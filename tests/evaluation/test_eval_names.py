"""tools/test.py's --eval names: several at once, mmpose's spelling, unknown names, metric configs."""
import importlib.util
from pathlib import Path

import pytest
from mmengine.config import Config

from mesh_recovery.evaluation.eval_names import EVAL_NAMES, eval_metric_configs

REPO = Path(__file__).resolve().parents[2]


def _test_tool():
    spec = importlib.util.spec_from_file_location('test_tool', REPO / 'tools' / 'test.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cfg(**extra):
    return Config(dict(model=dict(smpl=dict(smpl_path='models/smpl')),
                       test_dataloader=dict(dataset=dict(data_root='data/h36m', ann_file='p2.npz')), **extra))


def test_parse_several_names_and_mmpose_spelling():
    tool = _test_tool()
    assert tool.parse_args(['c.py', 'k.pth', '--eval', 'joint_error', 'pve']).eval == ['joint_error', 'pve']
    assert tool.parse_args(['c.py', 'k.pth', '--eval=joint_error']).eval == ['joint_error']


def test_unknown_name_is_an_argparse_error_listing_the_valid_ones(capsys):
    tool = _test_tool()
    with pytest.raises(SystemExit) as exit_info:
        tool.parse_args(['c.py', 'k.pth', '--eval', 'joint_error', 'mAP'])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'mAP'" in err and all(f"'{name}'" in err for name in EVAL_NAMES)


def test_metric_configs_from_the_config():
    metrics = eval_metric_configs(['joint_error', 'pve', 'per_action', 'pck', 'auc'], _cfg())
    assert metrics == [
        dict(type='JointError'),
        dict(type='PW3DError', smpl_path='models/smpl', prefix='pw3d'),
        dict(type='H36MActionError', ann_file='data/h36m/p2.npz', prefix='h36m_action'),
        dict(type='MPIINF3DHPError', prefix='3dhp'),
    ]


def test_configured_evaluator_arguments_are_kept():
    configured = dict(type='PW3DError', smpl_path='elsewhere', gt_gender='neutral')
    assert eval_metric_configs(['pve'], _cfg(test_evaluator=[dict(type='JointError'), configured])) == [configured]
    with pytest.raises(KeyError, match='valid'):
        eval_metric_configs(['mAP'], _cfg())
