"""Run import-linter (`lint-imports`, contracts in pyproject.toml) on the `agentc` package.

The package is assembled from five folders (setup.py's ROOTS: `compiler/` is `agentc`,
`targets/`, `runtime_shims/`, `semantics/` and `fixtures/` are its subpackages), but
import-linter's graph builder walks only the folder of the top-level package, so it would not
see the four mapped subpackages. This script copies the package's Python files, laid out as
installed, into a temporary folder and runs `lint-imports` there with that folder first on
PYTHONPATH.
Exit status is lint-imports' own (0: every contract kept). Used by .ci/run and by
tests/test_import_layers.py.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROOTS = {"agentc": "compiler", "agentc/targets": "targets", "agentc/runtime_shims": "runtime_shims",
         "agentc/semantics": "semantics",
         "agentc/fixtures": "fixtures"}


def assemble(dest: Path, roots: dict[str, str] = ROOTS) -> None:
    for package, folder in roots.items():
        src = ROOT / folder
        for path in src.rglob("*.py"):
            target = dest / package / path.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)


def lint(tree: Path, argv: list[str] = (), **kwargs) -> subprocess.CompletedProcess:
    """lint-imports on an assembled ``tree``, with this repository's contracts."""
    path = os.pathsep.join([str(tree), os.environ.get("PYTHONPATH", "")])
    env = dict(os.environ, PYTHONPATH=path)
    exe = Path(sys.executable).with_name("lint-imports")
    cmd = [str(exe) if exe.exists() else "lint-imports", str(ROOT / "pyproject.toml"), "--no-cache",
           *argv]
    return subprocess.run(cmd, cwd=tree, env=env, check=False, **kwargs)


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="agentc-lint-imports-") as tmp:
        assemble(Path(tmp))
        return lint(Path(tmp), argv).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
