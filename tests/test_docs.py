"""Docs a new user reads on their own machine: no paths of a developer's machine, no
references to spec files or sections outside this repository, no broken relative links."""
from __future__ import annotations

import re

import harness

DOCS = sorted(harness.ROOT.glob("docs/*.md")) + [harness.ROOT / "README.md"]
MACHINE = re.compile(r"/work/|/tmp/venv|\.\./shared|/home/\w+|/root/")
OUTSIDE_SPEC = re.compile(r"§|\bspecs?/\w+\.md|\bspec §")
LINK = re.compile(r"\]\(([\w./-]+\.(?:md|png|svg|py|json|toml|txt))(?:#[^)]*)?\)")


def test_docs_name_no_developer_paths_or_outside_specs():
    assert len(DOCS) >= 8
    bad = []
    for path in DOCS:
        for no, line in enumerate(path.read_text().splitlines(), 1):
            if MACHINE.search(line) or OUTSIDE_SPEC.search(line):
                bad.append(f"{path.relative_to(harness.ROOT)}:{no}: {line.strip()}")
    assert not bad, "\n".join(bad)


def test_relative_links_resolve():
    broken = []
    for path in DOCS:
        for target in LINK.findall(path.read_text()):
            if not (path.parent / target).exists():
                broken.append(f"{path.relative_to(harness.ROOT)}: {target}")
    assert not broken, broken
