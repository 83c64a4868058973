"""The Temporal target through the real ``agentc`` CLI, in subprocesses, against the
session's dev server: ``compile --target temporal``, ``run --engine temporal`` (with an
in-process worker, or a separate ``agentc worker temporal``), ``resume --engine temporal``
through a two-question HITL review, and the diagnostics for an unknown run id and a
missing ``--address`` (exit 2, no traceback)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

import harness

import agentc

TIMEOUT_S = 180  # one CLI call imports langgraph and compiles: seconds on a loaded machine


def agentc_cli(*args: str, cwd: Path, timeout: float = TIMEOUT_S,
               env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``agentc ARGS`` in a subprocess; ``env``: variables to set (TEMPORAL_ADDRESS, which
    the CLI reads, is only set when a test sets it)."""
    extra, env = env or {}, dict(os.environ)
    env.pop("AGENTC_DEBUG", None)  # the CLI must diagnose, not raise
    env.pop("TEMPORAL_ADDRESS", None)
    env.update(extra)
    return subprocess.run([sys.executable, "-m", "agentc.cli", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=timeout)


def no_traceback(r: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout, r.stderr


def queue() -> str:
    return f"cli-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def worker(temporal_address, tmp_path):
    """Start ``agentc worker temporal REF`` subprocesses (own process group, killed at the end)."""
    procs: list[tuple[subprocess.Popen, Path]] = []

    def start(ref: str, task_queue: str) -> subprocess.Popen:
        log = tmp_path / f"worker{len(procs)}.log"
        with open(log, "w") as out:
            p = subprocess.Popen([sys.executable, "-m", "agentc.cli", "worker", "temporal", ref, "--address",
                                  temporal_address, "--task-queue", task_queue], cwd=tmp_path, stdout=out,
                                 stderr=subprocess.STDOUT, start_new_session=True)
        procs.append((p, log))
        return p

    yield start
    for p, log in procs:
        alive = p.poll() is None
        if alive:
            os.killpg(p.pid, signal.SIGTERM)
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        assert alive, f"the worker died early ({p.returncode}):\n{log.read_text()[-3000:]}"


def test_compile_writes_modules_manifest_and_report(tmp_path):
    ref = harness.ref("chain")
    out = tmp_path / "out"
    # from the repo root, like the in-process compile below (source refs are cwd-relative)
    r = agentc_cli("compile", ref, "--target", "temporal", "--out", str(out), cwd=harness.ROOT)
    assert r.returncode == 0, r.stderr
    no_traceback(r)
    expected = agentc.compile(ref, target="temporal")
    assert sorted(p.name for p in out.iterdir() if p.name != ".agentc-output") == sorted(expected.files) == \
        ["agentc_chain_workflow.py", "manifest.json"]
    for rel, text in expected.files.items():
        assert (out / rel).read_text() == text
    printed = [Path(line) for line in r.stdout.splitlines() if line.strip()]
    assert sorted(p.name for p in printed) == sorted(expected.files)
    assert "temporal: graph chain: structured" in r.stderr  # the compile report
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["target"] == "temporal" and manifest["workflow"] == "chain" and manifest["entry"] == ref
    assert manifest["modules"] == [{"class": "ChainWorkflow", "graph_path": [], "module": "agentc_chain_workflow",
                                    "workflow_type": "chain"}]
    assert "chain-normalize" in manifest["activities"]
    source = (out / "agentc_chain_workflow.py").read_text()
    assert '@workflow.defn(name="chain")' in source and 'await self.step("normalize", "chain-normalize"' in source


def test_compile_of_a_subgraph_writes_one_module_per_level(tmp_path):
    r = agentc_cli("compile", harness.ref("subgraph"), "--target", "temporal", "--out", str(tmp_path / "o"),
                   cwd=harness.ROOT)
    assert r.returncode == 0, r.stderr
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert len(manifest["modules"]) == 3
    for m in manifest["modules"]:
        assert (tmp_path / "o" / f"{m['module']}.py").exists()


def test_run_with_worker_prints_the_native_state(temporal_address, tmp_path):
    case = harness.CASES["chain"]
    r = agentc_cli("run", harness.ref("chain"), "--engine", "temporal", "--address", temporal_address,
                   "--task-queue", queue(), "--with-worker", "--input", json.dumps(case["input"]), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    no_traceback(r)
    assert harness.normalise(json.loads(r.stdout)) == harness.normalise(harness.native("chain"))


def test_run_with_input_file_and_run_id(temporal_address, tmp_path):
    case = harness.CASES["dynamic_router"]
    (tmp_path / "in.json").write_text(json.dumps(case["input"]))
    run_id = f"cli-chosen-{uuid.uuid4().hex[:8]}"
    r = agentc_cli("run", harness.ref("dynamic_router"), "--engine", "temporal", "--address", temporal_address,
                   "--task-queue", queue(), "--with-worker", "--run-id", run_id, "--input", "@in.json",
                   cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert harness.normalise(json.loads(r.stdout)) == harness.normalise(harness.native("dynamic_router"))
    # the run id was used: resuming the finished run says it is not resumable
    r = agentc_cli("resume", run_id, "--engine", "temporal", "--address", temporal_address, "--value", "1",
                   cwd=tmp_path)
    assert r.returncode == 2 and "AC121" in r.stderr and "completed" in r.stderr, r.stderr
    no_traceback(r)


def test_hitl_review_with_a_separate_worker_and_two_resumes(temporal_address, tmp_path, worker):
    name = "hitl_review"
    case = harness.CASES[name]
    q = queue()
    worker(harness.ref(name), q)
    t0 = time.monotonic()
    r = agentc_cli("run", harness.ref(name), "--engine", "temporal", "--address", temporal_address,
                   "--task-queue", q, "--input", json.dumps(case["input"]), cwd=tmp_path)
    assert r.returncode == 3, r.stdout + r.stderr
    no_traceback(r)
    paused = json.loads(r.stdout)
    assert paused["status"] == "waiting" and paused["run_id"]
    assert [(i["node"], i["kind"]) for i in paused["interrupts"]] == [("review", "interrupt")]
    assert paused["interrupts"][0]["value"]["question"] == "Approve this draft?"
    run_id = paused["run_id"]

    answers = case["resumes"]
    assert answers == [True, "Looks great"]
    r = agentc_cli("resume", run_id, "--engine", "temporal", "--address", temporal_address,
                   "--value", json.dumps(answers[0]), cwd=tmp_path)
    assert r.returncode == 3, r.stdout + r.stderr
    again = json.loads(r.stdout)
    assert again["run_id"] == run_id and again["status"] == "waiting"
    assert [i["value"]["question"] for i in again["interrupts"]] == ["Any comment for the author?"]

    # an answer the run cannot take: resume without --value while an interrupt waits
    r = agentc_cli("resume", run_id, "--engine", "temporal", "--address", temporal_address, cwd=tmp_path)
    assert r.returncode == 2 and "AC112" in r.stderr, r.stdout + r.stderr
    no_traceback(r)

    r = agentc_cli("resume", run_id, "--engine", "temporal", "--address", temporal_address,
                   "--value", json.dumps(answers[1]), cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    no_traceback(r)
    assert harness.normalise(json.loads(r.stdout)) == harness.normalise(harness.native(name))
    assert time.monotonic() - t0 < TIMEOUT_S


def test_resume_of_an_unknown_run_is_a_diagnostic(temporal_address, tmp_path):
    r = agentc_cli("resume", f"no-such-run-{uuid.uuid4().hex[:8]}", "--engine", "temporal", "--address",
                   temporal_address, "--value", "true", cwd=tmp_path)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "AC120" in r.stderr and r.stdout == ""
    no_traceback(r)


@pytest.mark.parametrize("command", ["run", "resume"])
def test_engine_temporal_needs_an_address(command, tmp_path):
    args = (["run", harness.ref("chain"), "--input", "{}"] if command == "run" else ["resume", "some-run"])
    r = agentc_cli(*args, "--engine", "temporal", cwd=tmp_path)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "AC401" in r.stderr and "--address" in r.stderr and r.stdout == ""
    no_traceback(r)


def test_worker_needs_an_address(tmp_path):
    r = agentc_cli("worker", "temporal", harness.ref("chain"), cwd=tmp_path)
    assert r.returncode == 2 and "--address" in r.stderr, r.stderr
    no_traceback(r)


def test_client_commands_exit_with_their_own_status_every_time(temporal_address, tmp_path):
    """A short-lived Temporal client process (``agentc resume --engine temporal``) must exit
    with its diagnostic's status, every time — not SIGABRT (134) while the interpreter
    finalizes with the SDK's Rust threads alive (temporalio/sdk-python#300, which hits a
    bare ``Client.connect`` + ``describe`` script about half the time)."""
    results = [agentc_cli("resume", f"no-such-run-{i}-{uuid.uuid4().hex[:6]}", "--engine", "temporal", "--address",
                          temporal_address, "--value", "true", cwd=tmp_path) for i in range(6)]
    assert [r.returncode for r in results] == [2] * 6, "\n".join(r.stderr[-600:] for r in results if r.returncode != 2)
    assert all("AC120" in r.stderr for r in results)
