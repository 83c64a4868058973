"""The import layers of docs/architecture.md hold (import-linter contracts in pyproject.toml).

``.ci/lint_imports.py`` assembles the package as installed and runs ``lint-imports``; .ci/run
runs it too, before the tests. The other tests show the contracts can fail: a runtime shim
that imports a frontend, a semantics module that imports the run time, a target that imports
the API each break the build.
"""
from __future__ import annotations

import importlib.util
import subprocess
import sys
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


def test_the_semantics_leaf_importing_a_runtime_shim_breaks_the_contracts(tmp_path):
    """The plan imports agentc.semantics; a semantics module that imported the run time would
    bring the cycle plan -> runtime_shims -> plan back (issue 10, item 3)."""
    _lint_imports().assemble(tmp_path)
    (tmp_path / "agentc" / "semantics" / "_layer_probe.py").write_text(
        "from agentc.runtime_shims import steps\n")
    result = _run(tmp_path)
    assert result.returncode != 0
    assert "The shared semantics are a leaf" in result.stdout
    assert "agentc.semantics._layer_probe -> agentc.runtime_shims.steps" in result.stdout


def test_a_target_importing_the_api_breaks_the_layers(tmp_path):
    """The run drivers in targets/ read REFs through agentc.reading, below them; the API above
    them stays out of reach (no ignore_imports)."""
    _lint_imports().assemble(tmp_path)
    (tmp_path / "agentc" / "targets" / "temporal" / "_layer_probe.py").write_text(
        "from agentc.api import workflow_and_live\n")
    result = _run(tmp_path)
    assert result.returncode != 0
    assert "agentc.targets.temporal._layer_probe -> agentc.api" in result.stdout


def test_the_semantics_leaf_contract_names_every_other_top_level_module():
    """import-linter's forbidden contract lists modules; a new top-level module of agentc
    must join the list (or the leaf could import it unnoticed)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib

    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    leaf = next(
        c for c in contracts["contracts"] if c.get("source_modules") == ["agentc.semantics"]
    )
    roots = _lint_imports().ROOTS
    top = {f"agentc.{p.stem}" for p in (ROOT / roots["agentc"]).iterdir()
           if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()}
    top |= {"agentc." + k.split("/", 1)[1] for k in roots if "/" in k}
    allowed = {"agentc.ir", "agentc.compat", "agentc.errors", "agentc.semantics"}
    assert set(leaf["forbidden_modules"]) == top - allowed
