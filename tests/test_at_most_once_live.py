"""``at_most_once`` on a live Conductor server (docs/effects.md, "at_most_once on the
engines", "On a live Conductor server"): the real ``agentc worker conductor`` (conductor-python's
worker processes) against the emulator's REST façade (``EmulatedServer``).

The booking saga with ``charge_card = "at_most_once"``; the worker's answer for the charge
is lost once after the service charged (the server turns it into a failed attempt, as a
dead worker's timed-out task): Conductor retries the task. The retried task does not call
again and does not fail either: its worker answers IN_PROGRESS with ``callbackAfterSeconds``,
so the server polls it again later (no retry spent) and the run stays RUNNING,
uncompensated, waiting for a human. ``agentc effects RUN --forget KEY --engine conductor
--server URL`` writes the decision in the payload store; the task's next poll calls again
with the same key, and the run completes with ``graph.invoke``'s result. Before, the AC305
failed the task terminally: the run FAILED and its failure workflow released the flight and
cancelled the hotel."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any, Callable

import pytest

import conductor_live as L
from booking_service import serving

from agentc.targets.conductor.emulator.http_api import EmulatedServer

pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated:DeprecationWarning")

SAGA = "agentc.fixtures.langgraph.booking_saga:graph"
INPUT = {"trip": "t", "hotel": "ok", "amount": 5}
POLICY = """[tool.agentc.effects.reserve_flight]
class = "compensable"
compensator = "agentc.fixtures.langgraph.booking_saga:release_flight"

[tool.agentc.effects.reserve_hotel]
class = "compensable"
compensator = "agentc.fixtures.langgraph.booking_saga:cancel_hotel"

[tool.agentc.effects]
charge_card = "at_most_once"
"""
AGENT = "agentc.fixtures.openai_agents.booking_saga:agent"
AGENT_INPUT = "book trip t hotel ok amount 5"
AGENT_POLICY = '[tool.agentc.effects]\ncharge_card = "at_most_once"\n'
RECHECK = {"AGENTC_CONDUCTOR_RECHECK_S": "1"}


def until(cond: Callable[[], Any], bound_s: float, what: str) -> Any:
    end = time.monotonic() + bound_s
    while True:
        got = cond()
        if got:
            return got
        assert time.monotonic() < end, f"not within {bound_s} s: {what}"
        time.sleep(0.1)


def cli(cwd: Path, *args: str, code: int = 0) -> str:
    proc = subprocess.run(
        [L.AGENTC, *args],
        cwd=cwd,
        env=L.env(cwd),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == code, proc.stdout + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def ledger(cwd: Path, wid: str, url: str) -> dict[str, tuple[str, str | None]]:
    out = cli(cwd, "effects", wid, "--json", "--engine", "conductor", "--server", url)
    return {r["name"]: (r["status"], r["error"]) for r in json.loads(out)}


def lose_first_charge_answer(srv: EmulatedServer) -> list[str]:
    """The first update of a charge task arrives as a failed attempt ("worker lost"): the
    service charged, the server never heard of it, and Conductor retries the task."""
    apply, lost = srv._apply, []  # noqa: SLF001 - the update the server applies

    def lossy(wf: dict, task: dict, result: Any) -> None:
        if task["taskType"].endswith("charge_card") and not lost:
            lost.append(task["taskId"])
            result = {"status": "FAILED", "reasonForIncompletion": "worker lost"}
        apply(wf, task, result)

    srv._apply = lossy  # type: ignore[method-assign]
    return lost


def waiting_answers(srv: EmulatedServer) -> list[dict[str, Any]]:
    """The workers' IN_PROGRESS answers that carry an uncertain call."""
    return [
        r.body
        for r in srv.requests
        if r.method == "POST"
        and r.path == "/api/tasks"
        and isinstance(r.body, dict)
        and r.body.get("status") == "IN_PROGRESS"
        and "uncertain" in (r.body.get("outputData") or {})
    ]


def _native(ref: str) -> Any:
    if ref == SAGA:
        from agentc.fixtures.langgraph.booking_saga import graph

        return graph.invoke(INPUT)
    from agents import Runner

    from agentc.fixtures.openai_agents.booking_saga import agent

    return Runner.run_sync(agent, AGENT_INPUT).final_output


@pytest.mark.parametrize("ref", [SAGA, AGENT])
def test_live_lost_charge_waits_for_a_human_then_forget_completes(tmp_path, monkeypatch, ref):
    with (
        serving(monkeypatch, tmp_path, POLICY if ref == SAGA else AGENT_POLICY) as svc,
        EmulatedServer() as srv,
    ):
        native = _native(ref)
        svc.reset()
        monkeypatch.setenv("AGENTC_STORE", str(tmp_path / "blobs"))
        lost = lose_first_charge_answer(srv)
        lines = L.deploy(srv.url, ref, tmp_path)
        root = [x.split()[1] for x in lines if x.startswith("workflow ")][-1]
        with L.worker(srv.url, ref, tmp_path, RECHECK) as log:
            wf_input = (
                {"input": INPUT, "context": None}
                if ref == SAGA
                else L.agent_input(ref, AGENT_INPUT)
            )
            wid = L.start(srv.url, root, wf_input)
            # the retried task answers "waiting" at each poll: twice, a second apart
            # (or the run ended: before, the AC305 failed it)
            until(
                lambda: (
                    len(waiting_answers(srv)) >= 2
                    or L.execution(srv.url, wid)["status"] in L.TERMINAL
                ),
                60,
                "two waiting answers",
            )
            ex = L.execution(srv.url, wid)
            assert lost and ex["status"] == "RUNNING", (ex["status"], log.read_text()[-3000:])
            charges = [t for t in ex["tasks"] if t["taskType"].endswith("charge_card")]
            assert [t["status"] for t in charges][0] == "FAILED"  # the lost attempt
            assert charges[-1]["retryCount"] == 1 and charges[-1]["status"] != "FAILED"
            key = next(k for p, k in svc.effects() if p == "/charges")
            assert [r.replayed for r in svc.requests if r.path == "/charges"] == [False]
            assert "/flights/release" not in svc.paths()  # not compensated
            assert "failureWorkflow" not in json.dumps(ex.get("output") or {})
            body = waiting_answers(srv)[-1]
            assert (
                body["callbackAfterSeconds"] == 1 and body["outputData"]["uncertain"]["key"] == key
            )
            assert ledger(tmp_path, wid, srv.url)["charge_card"] == ("started", None)

            out = cli(
                tmp_path,
                "effects",
                wid,
                "--forget",
                key,
                "--engine",
                "conductor",
                "--server",
                srv.url,
            )
            assert f"forgot {key}" in out
            done = L.wait(srv.url, wid, bound_s=60, log=log)
        assert done["status"] == "COMPLETED", done.get("reasonForIncompletion")
        got = L.result(done)
        assert (got if ref == SAGA else got["final_output"]) == native
        # called again, with the same key: the service answered from its stored response
        assert [r.replayed for r in svc.requests if r.path == "/charges"] == [False, True]
        assert [k for p, k in svc.effects() if p == "/charges"] == [key]
        assert "/flights/release" not in svc.paths()
        assert ledger(tmp_path, wid, srv.url)["charge_card"] == ("done", None)
        # the decision was used: nothing waits on that key any more
        again = cli(
            tmp_path,
            "effects",
            wid,
            "--forget",
            key,
            "--engine",
            "conductor",
            "--server",
            srv.url,
            code=2,
        )
        assert "AC120" in again
