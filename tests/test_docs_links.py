"""Relative links and heading anchors in README.md and docs/*.md resolve."""
import re

import pytest

from test_docs_commands import DOCS, REPO  # tests/, beside this file


def heading_anchors(markdown: str) -> set:
    """GitHub's anchors of a markdown file's headings (code blocks excluded)."""
    text = re.sub(r'^```.*?^```', '', markdown, flags=re.S | re.M)
    anchors = set()
    for heading in re.findall(r'^#{1,6}[ \t]+(.+?)[ \t]*$', text, flags=re.M):
        anchor = re.sub(r'[^\w\- ]', '', heading.strip().lower().replace('`', '')).replace(' ', '-')
        anchors.add(anchor)
    return anchors


@pytest.mark.parametrize('doc', DOCS)
def test_relative_links_and_anchors_resolve(doc):
    source = REPO / doc
    markdown = re.sub(r'^```.*?^```', '', source.read_text(encoding='utf-8'), flags=re.S | re.M)
    broken = []
    for target in re.findall(r'\]\(([^)\s]+)\)', markdown):
        if re.match(r'[a-z]+:', target):
            continue
        path, _, anchor = target.partition('#')
        file = (source.parent / path).resolve() if path else source
        if not file.exists():
            broken.append(f'{target} (no file {file})')
        elif anchor and file.suffix == '.md' and anchor not in heading_anchors(file.read_text(encoding='utf-8')):
            broken.append(f'{target} (no heading with anchor #{anchor})')
    assert not broken, f'{doc}: broken links: {broken}'
