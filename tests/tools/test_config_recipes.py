"""Every recipe of docs/configs.md's "Common experiments" and "Swapping a backbone or a head" builds.

The first ```python block of each subsection there is a child config (of the quickstart
config unless it names its own ``_base_``); it is written to a temporary file
(its ``_base_`` paths made absolute), read by mmengine, pointed at the small
synthetic data set of this test session and built as the tools build it: the
runner (start-up checks included), the train loop with its dataset, the
optimizer wrappers and the parameter schedulers.
"""
import re
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mesh_recovery.registry import RUNNERS

REPO = Path(__file__).resolve().parents[2]
HMR_CONFIGS = REPO / 'configs' / 'mesh' / 'hmr'
QUICKSTART = HMR_CONFIGS / 'hmr_resnet18_synthetic_quickstart.py'


SECTIONS = ('Swapping a backbone or a head', 'Common experiments')


def recipes(heading: str):
    """(title, code) of the first python block of each ``###`` subsection under ``## heading``."""
    text = (REPO / 'docs' / 'configs.md').read_text()
    section = text.split(f'\n## {heading}\n', 1)[1].split('\n## ', 1)[0]
    found = []
    for block in re.split(r'\n### ', section)[1:]:
        title = block.splitlines()[0]
        code = re.findall(r'```python\n(.*?)```', block, flags=re.S)
        if code:
            found.append((title, code[0]))
    return found


RECIPES = [recipe for heading in SECTIONS for recipe in recipes(heading)]


def write_child(code: str, folder: Path) -> Path:
    if not code.lstrip().startswith('_base_'):
        code = f"_base_ = ['./{QUICKSTART.name}']\n" + code
    code = code.replace("'./", f"'{HMR_CONFIGS}/").replace("'../../_base_/", f"'{REPO / 'configs' / '_base_'}/")
    path = folder / 'recipe.py'
    path.write_text(code)
    return path


def use_data(node, data_dir: str):
    """Point every ``data_root='data/synthetic'`` at the session's generated data."""
    if isinstance(node, dict):
        if node.get('data_root') == 'data/synthetic':
            node['data_root'] = data_dir
        for value in node.values():
            use_data(value, data_dir)
    elif isinstance(node, list):
        for value in node:
            use_data(value, data_dir)


def test_the_sections_have_every_experiment():
    assert [title for title, _ in recipes(SECTIONS[0])] == [
        'Another backbone', 'Another head', 'Another head with the same arguments']
    assert len(recipes(SECTIONS[1])) == 16, [title for title, _ in recipes(SECTIONS[1])]


@pytest.mark.parametrize('title, code', RECIPES, ids=[t.split('.')[0] for t, _ in RECIPES])
def test_recipe_builds(title, code, synthetic_data_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    init_default_scope('mesh_recovery')
    cfg = Config.fromfile(str(write_child(code, tmp_path)))
    use_data(cfg._cfg_dict, str(synthetic_data_dir))
    cfg.merge_from_dict({'work_dir': str(tmp_path / 'work'), 'experiment_name': f'recipe-{tmp_path.name}',
                         'train_dataloader.num_workers': 0, 'train_dataloader.persistent_workers': False})
    if cfg.model.backbone.get('pretrained'):
        # The recipe names a user file; without it the error must name the path.
        with pytest.raises(FileNotFoundError, match=re.escape(cfg.model.backbone.pretrained)):
            RUNNERS.build(cfg)
        return
    runner = RUNNERS.build(cfg)
    assert len(runner.train_loop.dataloader.dataset) > 0
    runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    if cfg.get('param_scheduler') is not None:
        runner.build_param_scheduler(cfg.param_scheduler)
    assert cfg.model.get('img_res', 224) == next(
        t['img_res'] for t in cfg.test_dataloader.dataset.pipeline if t['type'] == 'MeshAffine')


def test_a_recipe_with_a_mistake_is_refused(tmp_path, monkeypatch):
    """The input-size recipe without its pipelines is the classic mistake: it must not build."""
    monkeypatch.chdir(REPO)
    init_default_scope('mesh_recovery')
    cfg = Config.fromfile(str(write_child('model = dict(img_res=160)\n', tmp_path)))
    cfg.work_dir = str(tmp_path / 'work')
    with pytest.raises(ValueError, match='model.img_res=160'):
        RUNNERS.build(cfg)
