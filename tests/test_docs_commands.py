"""Every shell command in README.md and docs/*.md is run by a test, run here, or checked.

Each line of a ```bash block (backslash continuations joined, comment lines dropped)
is one command; ``&&`` separates its steps. A command passes when

(a) it is listed in ``RUN_BY_TESTS`` with the test that runs it (the test must exist), or
(b) it is cheap and executed here (``EXECUTED``, and every ``--help``), or
(c) every step is recognised and valid: the scripts, configs and files it names exist
    (user assets of docs/data_preparation.md and outputs of the tools excepted), the environment
    variables it sets are read by the script, and the tool's own argparse accepts the
    arguments (the script's parser is called on them).

(a) and (b) commands are checked as in (c) too. A step no rule recognises fails the
test with the doc file and the command, so a new command needs a check before it lands.
"""
import argparse
import ast
import contextlib
import importlib.util
import io
import os
import re
import shlex
import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Tuple

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = ['README.md'] + sorted(f'docs/{p.name}' for p in (REPO / 'docs').glob('*.md'))
CHECKPOINT = 'models/pytorch/hmr/hmr_mesh_224x224-c21e8229_20201015.pth'

TRAIN_AND_TEST = 'tests/tools/test_train_and_test_tools.py::test_train_then_test_with_joint_error_and_out'
DIST_TRAIN = 'tests/tools/test_distributed.py::test_two_process_cpu_training_matches_single_process'

# (a) Commands run by other tests: exact doc command -> the test. Tools that need the licensed
# assets are run by their tests with the same flags on the synthetic config.
RUN_BY_TESTS: Dict[str, str] = {
    # CI (.ci/run) runs the README's test command verbatim.
    'python3 -m venv .venv && . .venv/bin/activate && pip install -q -e ".[tests]" && python -m pytest tests -q':
        'tests/test_docs.py::test_ci_runs_the_readme_test_command_verbatim',
    # The writer this tool drives, on a small set.
    'python tools/make_synthetic_data.py':
        'tests/synthetic/test_dataset_writer.py::test_same_seed_gives_identical_files_whatever_the_workers',
    # Runs the tool and compares with the committed files (skipped without anny).
    'python tools/build_body_model.py': 'tests/body_models/test_free_body.py::test_rebuild_matches_committed',
    'python tools/train.py configs/mesh/cliff/cliff_resnet18_synthetic_quickstart.py --work-dir work_dirs/quickstart':
        TRAIN_AND_TEST,
    'python tools/test.py configs/mesh/cliff/cliff_resnet18_synthetic_quickstart.py work_dirs/quickstart/epoch_6.pth '
    '--eval=joint_error': TRAIN_AND_TEST,
    # The released checkpoint's layout is tested in tests/models/test_checkpoint.py.
    f'python tools/test.py configs/mesh/hmr/hmr_resnet_50.py {CHECKPOINT} --eval=joint_error': TRAIN_AND_TEST,
    './tools/dist_train.sh configs/mesh/hmr/hmr_resnet_50.py 8 --work-dir work_dirs/hmr --no-validate': DIST_TRAIN,
    './tools/dist_train.sh configs/mesh/hmr/hmr_resnet18_synthetic_quickstart.py 2 --work-dir work_dirs/quickstart_ddp':
        DIST_TRAIN,
    # --resume without a path after a SIGKILL.
    'python tools/train.py configs/mesh/hmr/hmr_resnet_50.py --work-dir work_dirs/hmr --resume':
        'tests/tools/test_resume.py::test_killed_run_resumes_to_the_same_weights',
}

# Paths that commands may name although they are not in the repository.
USER_ASSET_FILES = {
    CHECKPOINT, 'models/smpl', 'models/smpl/SMPL_NEUTRAL.pkl', 'models/smpl/SMPL_MALE.pkl',
    'models/smpl/SMPL_FEMALE.pkl', 'models/smpl/joints_regressor_cmr.npy', 'models/smpl/smpl_mean_params.npz',
} | {f'data/mesh_annotation_files/{name}.npz' for name in (
    'coco_2014_train', 'h36m_valid_protocol1', 'h36m_valid_protocol2', 'hr-lspet_train',
    'lsp_dataset_original_train', 'mpi_inf_3dhp_train', 'mpii_train', 'h36m_train', 'CMU_mosh')}
USER_IMAGE_DIRS = tuple(f'data/{d}/' for d in ('Human3.6M', 'mpi_inf_3dhp', 'lsp_dataset_original', 'hr-lspet',
                                              'mpii', 'coco', 'h36m_train'))
TOOL_OUTPUTS = ('work_dirs/', 'data/synthetic/', '.venv/')
REPO_PREFIXES = ('configs/', 'tools/', 'models/', 'data/', 'docs/', 'tests/', 'mesh_recovery/', 'benchmarks/',
                 'work_dirs/', '.venv/')
ENV_ANYWHERE = {'CUDA_VISIBLE_DEVICES', 'OMP_NUM_THREADS', 'PYTHONPATH'}
SHELL_OPERATORS = {'|', '||', ';', '&', '>', '>>', '<', '2>', '2>&1'}
ENV_ASSIGNMENT = re.compile(r'^([A-Za-z_][A-Za-z0-9_]*)=(.*)$')


class DocCommandError(AssertionError):
    """A documented command that no rule accepts."""


def extract_commands(markdown: str) -> List[str]:
    """The command lines of the ```bash blocks of a markdown text."""
    commands = []
    for block in re.findall(r'^```bash[ \t]*\n(.*?)^```', markdown, flags=re.S | re.M):
        for line in re.sub(r'[ \t]*\\\n[ \t]*', ' ', block).splitlines():
            line = line.strip()
            if line and not line.startswith('#'):
                commands.append(line)
    return commands


def check_paths(tokens: List[str]) -> None:
    """Paths named by a command must exist, be user assets (docs/data_preparation.md) or be written by the tools."""
    for token in tokens:
        for part in re.split(r'[=,\[\]()]', token):
            path = part.split('::')[0].rstrip('/')
            if not part.startswith(REPO_PREFIXES) or (REPO / path).exists() or path.startswith(TOOL_OUTPUTS):
                continue
            if path not in USER_ASSET_FILES and not (path + '/').startswith(USER_IMAGE_DIRS):
                raise DocCommandError(f'{path} does not exist (and is not a user asset of docs/data_preparation.md or a tool output)')


@contextlib.contextmanager
def preserved_process_state() -> Iterator[None]:
    """Tools set environment variables and sys.path at import; keep this process unchanged."""
    environ, path = dict(os.environ), list(sys.path)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(environ)
        sys.path[:] = path


@lru_cache(maxsize=None)
def load_script(script: str):
    """Import ``tools/NAME.py`` (or ``benchmarks/NAME.py``) as a module of its own."""
    name = 'doc_check_' + re.sub(r'\W', '_', script)
    spec = importlib.util.spec_from_file_location(name, REPO / script)
    module = importlib.util.module_from_spec(spec)
    with preserved_process_state():
        spec.loader.exec_module(module)
    return module


class _ParserFound(Exception):
    def __init__(self, parser: argparse.ArgumentParser):
        super().__init__()
        self.parser = parser


def script_parser(script: str) -> Callable[[List[str]], argparse.Namespace]:
    """The script's own argument parsing: ``parse_args(argv)``, else the parser ``main()`` builds."""
    module = load_script(script)
    if callable(getattr(module, 'parse_args', None)):
        return module.parse_args
    original = argparse.ArgumentParser.parse_args

    def capture(self, *args, **kwargs):
        raise _ParserFound(self)

    argparse.ArgumentParser.parse_args = capture
    try:
        module.main()
    except _ParserFound as found:
        return lambda argv: original(found.parser, argv)
    finally:
        argparse.ArgumentParser.parse_args = original
    raise DocCommandError(f'{script} has no parse_args(argv) and its main() builds no parser')


def run_parser(script: str, args: List[str]) -> str:
    """Parse ``args`` with the script's parser; ``--help`` is executed and must print usage."""
    parse = script_parser(script)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), preserved_process_state():
        try:
            namespace = parse(list(args))
        except SystemExit as exc:
            if exc.code == 0 and ('-h' in args or '--help' in args) and 'usage:' in out.getvalue():
                return 'executed (--help)'
            raise DocCommandError(f'{script} rejects {args}: {err.getvalue().strip() or out.getvalue()}') from None
    if '-h' in args or '--help' in args:
        raise DocCommandError(f'{script} did not print its usage for --help')
    check_cfg_options(namespace)
    return 'arguments accepted'


def check_cfg_options(namespace: argparse.Namespace) -> None:
    """Each ``--cfg-options`` key of a documented example must name an entry of its config."""
    options, config = getattr(namespace, 'cfg_options', None), getattr(namespace, 'config', None)
    if not options or not config or not (REPO / config).is_file():
        return
    from mmengine.config import Config
    cfg = Config.fromfile(str(REPO / config)).to_dict()
    for key in options:
        node = cfg
        for part in key.split('.'):
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, (list, tuple)) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                raise DocCommandError(f'--cfg-options {key}: {config} has no such entry (a typo would add a new, '
                                      'unused key silently)')


def check_env(env: Dict[str, str], source_file: str) -> None:
    text = (REPO / source_file).read_text(encoding='utf-8')
    for var in env:
        if var not in ENV_ANYWHERE and not re.search(r'\$\{?' + var + r'\b', text):
            raise DocCommandError(f'{var} is set but {source_file} never reads it')


def script_usage(script: str) -> Tuple[List[str], str, List[str]]:
    """Positional names, target tool and launcher arguments from a shell script's Usage line."""
    text = (REPO / script).read_text(encoding='utf-8')
    usage = re.search(r'^# Usage: .*?' + re.escape(Path(script).name) + r' ([A-Z_ ]+) \[(\w+\.py) args\]', text,
                      flags=re.M)
    if usage is None:
        raise DocCommandError(f'{script} has no "# Usage: ... {Path(script).name} ARGS [tool.py args]" line')
    launcher = re.search(r'--launcher[= ](\w+)', text)
    return usage.group(1).split(), f'tools/{usage.group(2)}', ['--launcher', launcher.group(1)] if launcher else []


def check_shell_script(script: str, args: List[str], env: Dict[str, str], direct: bool) -> str:
    if not (REPO / script).is_file():
        raise DocCommandError(f'{script} does not exist')
    if direct and not os.access(REPO / script, os.X_OK):
        raise DocCommandError(f'{script} is run as ./{script} but is not executable')
    check_env(env, script)
    names, tool, launcher = script_usage(script)
    if len(args) < len(names):
        raise DocCommandError(f'{script} needs {" ".join(names)}, got {args}')
    values, rest = dict(zip(names, args)), args[len(names):]
    if 'GPUS' in values and values['GPUS'] != 'GPUS' and not values['GPUS'].isdigit():
        raise DocCommandError(f'{script}: GPUS must be a number, got {values["GPUS"]}')
    tool_args = [values[n] for n in ('CONFIG', 'CHECKPOINT') if n in values]
    tool_args += ['--work-dir', values['WORK_DIR']] if 'WORK_DIR' in values else []
    check_paths(args)
    return run_parser(tool, tool_args + launcher + rest)


def setup_extras() -> set:
    tree = ast.parse((REPO / 'setup.py').read_text(encoding='utf-8'))
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == 'extras_require' and isinstance(node.value, ast.Dict):
            return {key.value for key in node.value.keys}
    return set()


def check_pip(args: List[str]) -> str:
    if not args or args[0] != 'install':
        raise DocCommandError(f'only "pip install" of this repository is checked, got pip {args}')
    targets = [a for a in args[1:] if a not in ('-q', '--quiet', '-e', '--editable', '-U', '--upgrade')]
    for target in targets:
        match = re.fullmatch(r'\.(?:\[([\w,-]+)\])?', target)
        if match is None:
            raise DocCommandError(f'pip installs {target!r}, not this repository (".", ".[extra]")')
        unknown = set((match.group(1) or '').split(',')) - {''} - setup_extras()
        if unknown:
            raise DocCommandError(f'setup.py has no extras {sorted(unknown)}')
    if not targets:
        raise DocCommandError('pip install without a target')
    return 'installs this repository'


def check_python(args: List[str], env: Dict[str, str]) -> str:
    if args[:2] == ['-m', 'venv'] and len(args) == 3:
        return 'creates a virtual environment'
    if args[:2] == ['-m', 'pip']:
        return check_pip(args[2:])
    if args[:2] == ['-m', 'pytest']:
        check_paths(args[2:])
        missing = [a for a in args[2:] if not a.startswith('-') and not (REPO / a.split('::')[0]).exists()]
        if missing:
            raise DocCommandError(f'pytest paths {missing} do not exist')
        return 'pytest paths exist'
    if args and args[0].startswith(('tools/', 'benchmarks/')) and args[0].endswith('.py'):
        if not (REPO / args[0]).is_file():
            raise DocCommandError(f'{args[0]} does not exist')
        check_env(env, args[0])
        check_paths(args[1:])
        return run_parser(args[0], args[1:])
    raise DocCommandError(f'unrecognised python invocation {args}')


def check_step(tokens: List[str]) -> str:
    """Check one ``&&``-separated step; returns how it was checked."""
    env = {}
    while tokens and ENV_ASSIGNMENT.match(tokens[0]):
        name, value = ENV_ASSIGNMENT.match(tokens[0]).groups()
        env[name], tokens = value, tokens[1:]
    if not tokens:
        raise DocCommandError('empty step')
    program, args = tokens[0], tokens[1:]
    if program in ('python', 'python3'):
        return check_python(args, env)
    if program in ('.', 'source') and len(args) == 1 and args[0].endswith('/bin/activate'):
        return 'activates a virtual environment'
    if program == 'pip':
        return check_pip(args)
    if program in ('bash', 'sh') and args and args[0].endswith('.sh'):
        return check_shell_script(args[0], args[1:], env, direct=False)
    if program.startswith('./') and program.endswith('.sh'):
        return check_shell_script(program[2:], args, env, direct=True)
    raise DocCommandError(f'no rule checks the program {program!r}')


def run_check_assets(command: str, tmp_path: Path) -> str:
    """The asset doctor, where none of the real assets exist: exit 1, naming what is missing."""
    for name in ('configs', 'tools'):
        (tmp_path / name).symlink_to(REPO / name)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get('PYTHONPATH', '')]))
    result = subprocess.run([sys.executable] + shlex.split(command)[1:], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    expected = ('missing', 'SMPL_NEUTRAL.pkl', 'h36m_valid_protocol2.npz', 'docs/data_preparation.md#')
    if result.returncode != 1 or not all(text in result.stdout for text in expected):
        raise DocCommandError(f'expected exit status 1 and {expected} in the output without the assets, got '
                              f'{result.returncode}:\n{result.stdout[-2000:]}{result.stderr[-2000:]}')
    return 'executed'


# (b) Commands executed here (besides every --help): exact doc command -> runner.
EXECUTED: Dict[str, Callable[[str, Path], str]] = {
    'python tools/check_assets.py configs/mesh/hmr/hmr_resnet_50.py': run_check_assets,
}


def check_command(command: str, tmp_path: Path) -> List[str]:
    """Check every step of a command line; returns how each was checked."""
    tokens = shlex.split(command, comments=True)
    operators = SHELL_OPERATORS.intersection(tokens)
    if operators:
        raise DocCommandError(f'shell operators {sorted(operators)} are not checked; use && between steps')
    steps, current = [], []
    for token in tokens + ['&&']:
        if token == '&&':
            steps.append(current)
            current = []
        else:
            current.append(token)
    results = [check_step(step) for step in steps]
    if command in EXECUTED:
        results.append(EXECUTED[command](command, tmp_path))
    if command in RUN_BY_TESTS:
        results.append(f'run by {RUN_BY_TESTS[command]}')
    return results


DOC_COMMANDS = [(doc, command) for doc in DOCS
                for command in extract_commands((REPO / doc).read_text(encoding='utf-8'))]


@pytest.mark.parametrize('doc,command', DOC_COMMANDS, ids=[f'{doc}:{i}' for i, (doc, _) in enumerate(DOC_COMMANDS)])
def test_documented_command_is_checked(doc, command, tmp_path):
    try:
        check_command(command, tmp_path)
        problem = None
    except DocCommandError as exc:
        problem = str(exc)
    if problem:
        pytest.fail(f'{doc}: unchecked or invalid command\n    {command}\n{problem}\nFix the command, or map it to '
                    'the test that runs it in tests/test_docs_commands.py (RUN_BY_TESTS / EXECUTED).', pytrace=False)


@pytest.mark.parametrize('command', sorted(RUN_BY_TESTS))
def test_mapped_test_exists_and_command_is_documented(command):
    test_id = RUN_BY_TESTS[command]
    test_file, test_name = test_id.split('::')
    source = (REPO / test_file).read_text(encoding='utf-8')
    assert re.search(rf'^def {test_name}\(', source, flags=re.M), f'{test_id} does not exist'
    assert any(command == documented for _, documented in DOC_COMMANDS), f'stale RUN_BY_TESTS entry: {command}'


def test_documented_checkpoints_are_ones_training_keeps():
    """A ``work_dirs/.../epoch_N.pth`` after a config must be among its last kept epochs."""
    from mmengine.config import Config
    found = 0
    for doc, command in DOC_COMMANDS:
        match = re.search(r'(configs/\S+\.py) work_dirs/\S+/epoch_(\d+)\.pth', command)
        if not match:
            continue
        found += 1
        cfg = Config.fromfile(str(REPO / match.group(1)))
        last, keep = cfg.train_cfg.max_epochs, cfg.default_hooks.checkpoint.get('max_keep_ckpts', -1)
        kept = range(1 if keep <= 0 else last - keep + 1, last + 1)
        assert int(match.group(2)) in kept, f'{doc}: {command} names a checkpoint {match.group(1)} does not keep'
    assert found


def test_contract_commands_are_documented_verbatim():
    """mmpose 0.x's commands and the README's quick start appear word for word in get_started.md."""
    design = [
        f'python tools/test.py configs/mesh/hmr/hmr_resnet_50.py {CHECKPOINT} --eval=joint_error',
        f'./tools/dist_test.sh configs/mesh/hmr/hmr_resnet_50.py {CHECKPOINT} 8 --eval=joint_error',
        './tools/dist_train.sh configs/mesh/hmr/hmr_resnet_50.py 8 --work-dir work_dirs/hmr --no-validate',
    ]
    readme = extract_commands((REPO / 'README.md').read_text(encoding='utf-8'))[:2]
    get_started = extract_commands((REPO / 'docs' / 'get_started.md').read_text(encoding='utf-8'))
    for command in design + readme:
        assert command in get_started, command
