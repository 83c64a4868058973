"""Drive compiled workflows through a Conductor REST API served by the emulator
(``targets/conductor/emulator/http_api.py``), with the real ``agentc deploy`` and
``agentc worker conductor`` (conductor-python's TaskHandler: one spawned process per task
type) in subprocesses, as a deployment runs them (tests/test_conductor_live.py)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parents[1]
AGENTC = str(Path(sys.executable).with_name("agentc"))
TERMINAL = ("COMPLETED", "FAILED", "TERMINATED", "TIMED_OUT")


def env(cwd: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The subprocesses' environment: this one, the blob store in ``cwd`` (the test reads
    the claim checks the workers write), this folder importable (test-only agents)."""
    out = dict(os.environ, AGENTC_STORE=str(cwd / "blobs"), **(extra or {}))
    out["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT / "tests"), out.get("PYTHONPATH")) if p
    )
    return out


def deploy(url: str, ref: str, cwd: Path, extra: dict[str, str] | None = None) -> list[str]:
    proc = subprocess.run(
        [AGENTC, "deploy", ref, "--server", url],
        cwd=cwd,
        env=env(cwd, extra),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout.splitlines()


@contextlib.contextmanager
def worker(url: str, ref: str, cwd: Path, extra: dict[str, str] | None = None) -> Iterator[Path]:
    """``agentc worker conductor REF`` until the block ends (SIGTERM); yields its log file."""
    log = cwd / f"worker-{time.monotonic_ns()}.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [AGENTC, "worker", "conductor", ref, "--server", url],
            cwd=cwd,
            env=env(cwd, extra),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            yield log
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    assert proc.returncode == 0, log.read_text()[-3000:]


def clients(url: str) -> dict[str, Any]:
    from conductor.client.configuration.configuration import Configuration
    from conductor.client.http.api.workflow_resource_api import WorkflowResourceApi
    from conductor.client.http.api_client import ApiClient

    api = ApiClient(configuration=Configuration(server_api_url=url))
    return {"api": api, "workflows": WorkflowResourceApi(api)}


def start(url: str, name: str, wf_input: dict[str, Any]) -> str:
    """``POST /api/workflow/{name}`` through conductor-python."""
    return clients(url)["workflows"].start_workflow1(wf_input, name)


def execution(url: str, wid: str) -> dict[str, Any]:
    """``GET /api/workflow/{id}?includeTasks=true``, as the server's JSON."""
    c = clients(url)
    return c["api"].sanitize_for_serialization(
        c["workflows"].get_execution_status(wid, include_tasks=True)
    )


def wait(url: str, wid: str, bound_s: float = 150, log: Path | None = None) -> dict[str, Any]:
    """The execution once it has ended (a bounded poll)."""
    end = time.monotonic() + bound_s
    while True:
        ex = execution(url, wid)
        if ex["status"] in TERMINAL:
            return ex
        if time.monotonic() > end:
            waiting = [
                (t["referenceTaskName"], t["taskType"], t["status"])
                for t in ex.get("tasks") or []
                if t["status"] not in ("COMPLETED", "CANCELED", "SKIPPED")
            ]
            raise AssertionError(
                f"{wid} still {ex['status']} after {bound_s} s; waiting: {waiting}; "
                + (log.read_text()[-2000:] if log else "")
            )
        time.sleep(0.1)


def agent_input(ref: str, text: Any, context: Any = None) -> dict[str, Any]:
    """The root workflow's input for an agent run (what ``agentc simulate`` starts with)."""
    from agentc.reading import agent_context, workflow_and_live
    from agentc.runtime_shims.agent_steps import run_input
    from agentc.runtime_shims.steps import worker_for

    wf, live = workflow_and_live(ref)
    ctx, factory = agent_context(worker_for(wf, live).agent, context, None)
    return run_input(text, ctx, factory, max_turns=None, full_result=True)


def result(ex: dict[str, Any]) -> Any:
    """A completed run's result (claim checks resolved), as ``agentc simulate`` reads it."""
    from agentc.semantics.claim_check import resolve_result

    out = ex.get("output") or {}
    return resolve_result(out["state"] if "state" in out else out.get("result"))
