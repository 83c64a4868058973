"""The import layers of docs/architecture.md hold (import-linter contracts in pyproject.toml).

``.ci/lint_imports.py`` assembles the package as installed and runs ``lint-imports``; .ci/run
runs it too, before the tests. The second test shows the contracts can fail: a runtime shim
that imports a frontend breaks the build.
"""
from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _lint_imports():
    spec = importlib.util.spec_from_file_location("lint_imports", ROOT / ".ci" / "lint_imports.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(tree: Path) -> subprocess.CompletedProcess:
    return _lint_imports().lint(tree, capture_output=True, text=True, timeout=300)


def test_every_import_contract_is_kept(tmp_path):
    _lint_imports().assemble(tmp_path)
    result = _run(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_runtime_shim_importing_a_frontend_breaks_the_contracts(tmp_path):
    _lint_imports().assemble(tmp_path)
    (tmp_path / "agentc" / "runtime_shims" / "_layer_probe.py").write_text(
        "from agentc.frontends.langgraph import reader\n")
    result = _run(tmp_path)
    assert result.returncode != 0
    assert "Runtime shims never import frontends or targets BROKEN" in result.stdout
    assert "agentc.runtime_shims._layer_probe -> agentc.frontends.langgraph.reader" in result.stdout
