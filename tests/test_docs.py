"""Checks that the README's commands and CI agree."""
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def readme_quickstart_commands():
    text = (REPO / 'README.md').read_text(encoding='utf-8')
    section = text.split('## Quick start', 1)[1].split('\n## ', 1)[0]
    return re.findall(r'```bash\n(.*?)\n```', section, flags=re.S)


def test_quickstart_shows_exactly_two_commands():
    commands = readme_quickstart_commands()
    assert len(commands) == 2, commands
    assert all('\n' not in command for command in commands)


def test_ci_runs_the_readme_test_command_verbatim():
    test_command = readme_quickstart_commands()[1]
    ci_lines = (REPO / '.ci' / 'run').read_text(encoding='utf-8').splitlines()
    assert test_command in ci_lines


def test_ci_treats_no_tests_collected_as_failure():
    ci = (REPO / '.ci' / 'run').read_text(encoding='utf-8')
    assert '"$rc" -eq 5' in ci and 'exit 1' in ci
