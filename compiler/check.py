"""``agentc check``: the CI gate users put in their pipelines.

Reads ``[tool.agentc]`` from pyproject.toml::

    [tool.agentc]
    out = "build/agentc"                 # where committed outputs live
    targets = ["ir", "local"]
    agents = ["myapp.agent:graph"]

compiles every agent for every target, runs each target's validator, and reports drift:
committed files that differ from (or are missing in) a fresh compile.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .errors import AgentcError, Code, Diagnostic

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    problems: list[Diagnostic] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    """Compile warnings (e.g. effects in places that re-run, docs/effects.md), once per agent."""


def read_config(path: Path) -> dict:
    if not path.exists():
        raise AgentcError(
            Code.CONFIG,
            f"{path} not found",
            construct="[tool.agentc]",
            hint="run agentc check from the project root, or pass --config",
        )
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise AgentcError(
            Code.CONFIG,
            f"{path} is not valid TOML: {exc}",
            file=str(path),
            construct="[tool.agentc]",
            hint="fix the TOML syntax",
        ) from None
    cfg = data.get("tool", {}).get("agentc")
    if not cfg or not cfg.get("agents"):
        raise AgentcError(
            Code.CONFIG,
            f"{path} has no [tool.agentc] agents list",
            file=str(path),
            construct="[tool.agentc]",
            hint='add: [tool.agentc] agents = ["pkg.module:graph"]',
        )
    return cfg


def check(config: Path, *, update: bool = False, strict: bool = False) -> Report:
    from agentc.api import compile as compile_
    from agentc.policy_proof import prove
    from agentc.targets import get

    cfg = read_config(config)
    root = config.parent
    out = root / cfg.get("out", "build/agentc")
    report = Report()
    from .errors import ErrorLevel, Warnings

    from .api import load
    from .policy import unmatched

    report.problems += unmatched([load(ref) for ref in cfg["agents"]], Path.cwd())
    for ref in cfg["agents"]:
        warnings = Warnings()
        wf = load(ref, level=ErrorLevel.RAISE if strict else ErrorLevel.WARN, warnings=warnings)
        report.warnings += warnings.items
        proof = prove(wf)  # docs/policies.md, "Proofs"
        report.problems += proof
        if wf.policies is not None and not proof:
            report.lines.append(f"ok {ref} [policies: irreversible steps always approved]")
        for target in cfg.get("targets", ["ir"]):
            artifact = compile_(wf, target=target)
            folder = out / target / artifact.name
            module = get(target)
            problems = list(module.validate(artifact))
            committed = getattr(module, "validate_committed", None)
            if committed is not None:  # e.g. replay recorded histories against the new code
                problems += committed(artifact, folder)
            for problem in problems:
                report.problems.append(
                    Diagnostic(
                        Code.INVALID_IR,
                        f"{ref} [{target}]: {problem}",
                        construct=ref,
                        hint="fix the agent or report an agentc bug",
                    )
                )
            if update:
                artifact.write(folder)
                report.lines.append(f"updated {folder}")
                continue
            drifted = [
                str((folder / rel).relative_to(root))
                for rel, text in sorted(artifact.files.items())
                if not _same(folder / rel, text)
            ]
            if drifted:
                report.problems.append(
                    Diagnostic(
                        Code.DRIFT,
                        f"{ref} [{target}]: committed output is out of date: {', '.join(drifted)}",
                        construct=ref,
                        file=drifted[0],
                        hint="run `agentc check --update` and commit the result",
                    )
                )
            else:
                report.lines.append(f"ok {ref} [{target}]")
    return report


def _same(path: Path, text: str) -> bool:
    """Committed output equals the fresh one. An IR file that differs only in source
    positions (a comment added above a node) is not drift: nothing a run does changed."""
    if not path.exists():
        return False
    old = path.read_text(encoding="utf-8")
    if old == text:
        return True
    if not path.name.endswith(".ir.json"):
        return False
    from agentc.ir import without_positions

    try:
        return without_positions(json.loads(old)) == without_positions(json.loads(text))
    except ValueError:
        return False
