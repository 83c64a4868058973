"""Run mypy on the `agentc` package: compiler/, targets/, runtime_shims/ and semantics/
(settings in pyproject.toml, [tool.mypy]).

Like lint-imports, mypy finds modules by folder, and the package is mapped from several
folders (setup.py's ROOTS), so they are copied, laid out as installed, into a temporary
folder and checked there (`mypy -p agentc`). Exit status is mypy's own. Used by .ci/run.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lint_imports import ROOT, ROOTS, assemble  # noqa: E402


def main(argv: list[str]) -> int:
    roots = {k: v for k, v in ROOTS.items() if v != "fixtures"}
    with tempfile.TemporaryDirectory(prefix="agentc-mypy-") as tmp:
        assemble(Path(tmp), roots)
        cmd = [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
               "--cache-dir", str(Path(tmp) / ".mypy_cache"), "-p", "agentc", *argv]
        return subprocess.call(cmd, cwd=tmp)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
