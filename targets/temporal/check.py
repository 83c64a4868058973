"""Checks of a Temporal artifact: the code compiles, imports inside Temporal's workflow
sandbox (the validation a Worker does before it runs anything), and replays recorded
histories with ``temporalio.worker.Replayer`` — so a change that would break running
workflows (non-determinism) fails ``agentc validate`` / ``agentc check``."""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from agentc.artifact import Artifact


@contextmanager
def imported(files: dict[str, str]) -> Iterator[list[type]]:
    """Write the modules to a temporary folder and import them; yields the workflow classes."""
    manifest = json.loads(files["manifest.json"])
    with tempfile.TemporaryDirectory(prefix="agentc-temporal-") as tmp:
        for rel, text in files.items():
            Path(tmp, rel).write_text(text, encoding="utf-8")
        sys.path.insert(0, tmp)
        names = [m["module"] for m in manifest["modules"]]
        try:
            for n in names:
                sys.modules.pop(n, None)
            mods = [importlib.import_module(n) for n in names]
            yield [getattr(mod, m["class"]) for mod, m in zip(mods, manifest["modules"])]
        finally:
            sys.path.remove(tmp)
            for n in names:
                sys.modules.pop(n, None)


def check_artifact(artifact: Artifact, histories: list[Path] | None = None) -> list[str]:
    from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner
    from temporalio.workflow import _Definition

    problems: list[str] = []
    for rel, text in sorted(artifact.files.items()):
        if rel.endswith(".py"):
            try:
                compile(text, rel, "exec")
            except SyntaxError as exc:
                problems.append(f"{rel}:{exc.lineno}: does not compile: {exc.msg}")
    if problems:
        return problems
    with imported(artifact.files) as classes:
        runner = SandboxedWorkflowRunner()

        async def prepare(cls: type) -> None:  # the sandbox wants a running loop
            runner.prepare_workflow(_Definition.must_from_class(cls))

        for cls in classes:
            try:
                asyncio.run(prepare(cls))
            except Exception as exc:  # noqa: BLE001 - any sandbox refusal is a finding
                problems.append(
                    f"{cls.__module__}: fails in the workflow sandbox: {type(exc).__name__}: {exc}"
                )
        for h in histories or []:
            err = replay(classes, h)
            if err:
                problems.append(f"{h}: replay failed (non-determinism): {err}")
    return problems


def replay(classes: list[type], history_file: Path) -> str | None:
    from temporalio.client import WorkflowHistory
    from temporalio.worker import Replayer

    data = json.loads(Path(history_file).read_text())
    hist = WorkflowHistory.from_json(data["workflow_id"], data["history"])

    async def go() -> None:
        await Replayer(workflows=classes).replay_workflow(hist)

    try:
        asyncio.run(go())
    except Exception as exc:  # noqa: BLE001 - NondeterminismError and friends
        return f"{type(exc).__name__}: {exc}"
    return None


def histories_in(folder: Path) -> list[Path]:
    return sorted((folder / "histories").glob("*.json")) if (folder / "histories").is_dir() else []


__all__ = ["check_artifact", "replay", "imported", "histories_in"]
