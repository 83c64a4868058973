"""The wheel holds the whole package: every folder with an ``__init__.py`` under the four
mapped roots, the Temporal templates and the fixtures' data (a hand-kept package list once
missed ``agentc.frontends.openai_agents`` and every command failed from a wheel).
.ci/run also installs that wheel in a fresh venv and runs README's first command from it."""
from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile

import harness

ROOTS = {"compiler": "agentc", "targets": "agentc/targets", "runtime_shims": "agentc/runtime_shims",
         "fixtures": "agentc/fixtures"}


def test_wheel_holds_every_package_and_data_file(tmp_path):
    # build from a clean copy: setuptools reuses a stale build/ folder, which would hide a miss
    src = tmp_path / "src"
    shutil.copytree(harness.ROOT, src, ignore=shutil.ignore_patterns(".git", ".venv", "build", "*.egg-info",
                                                                     "__pycache__", ".agentc"))
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(src)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (wheel,) = tmp_path.glob("agentc_compiler-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = set()
    for folder, pkg in ROOTS.items():
        for init in (harness.ROOT / folder).rglob("__init__.py"):
            expected.add(f"{pkg}/{init.relative_to(harness.ROOT / folder).as_posix()}")
    assert len(expected) >= 15
    assert expected <= names, sorted(expected - names)
    for data in ("agentc/targets/temporal/templates/agents.py.jinja2", "agentc/fixtures/langgraph/cases.json",
                 "agentc/ui/templates/run.jinja2", "agentc/ui/static/app.css"):
        assert data in names
