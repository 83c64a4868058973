"""Crash tests of the booking saga on the local target (docs/effects.md): the run is
SIGKILLed at every journal event (and right after every answer of the booking service,
before the tool sees it), resumed in a fresh process, and compared with a run that did
not crash:

(a) each idempotency key reaches the service at most once as a new effect, and the new
    effects are exactly the no-crash run's (same keys, same order);
(b) each compensator ran once, in reverse order (the release of the flight after it was
    reserved, the only completed effect when the hotel is full);
(c) the final status, output and ledger (key, class, status, digest, compensation) equal
    the no-crash run's.

Each phase is a child forked from a server that imported the SDKs once
(effects_crash_driver.py --serve); the booking service runs in this process.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from booking_service import serve

DRIVER = Path(__file__).resolve().parent / "effects_crash_driver.py"
SAGAS = ["langgraph-ok", "langgraph-full", "agents-ok", "agents-full"]


class Server:
    def __init__(self, url: str) -> None:
        env = {**__import__("os").environ, "AGENTC_BOOKING_URL": url}
        self.proc = subprocess.Popen([sys.executable, str(DRIVER), "--serve"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=env)

    def run(self, argv: list[str], out: Path) -> tuple[int, str]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"argv": argv, "stdout": str(out)}) + "\n")
        self.proc.stdin.flush()
        rc = json.loads(self.proc.stdout.readline())["returncode"]
        return rc, out.read_text()

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def env() -> Any:
    svc, http, url = serve()
    server = Server(url)
    yield svc, server
    server.close()
    http.shutdown()


def _phase(server: Server, tmp: Path, saga: str, db: Path, phase: str, kill_at: str) -> tuple[int, str]:
    return server.run([saga, str(db), phase, kill_at], tmp / f"{phase}-{kill_at.replace(':', '_')}.out")


def _baseline(env: Any, tmp: Path, saga: str) -> tuple[dict[str, int], dict[str, Any], list[Any]]:
    svc, server = env
    svc.reset()
    db = tmp / "baseline.db"
    rc, out = _phase(server, tmp, saga, db, "first", "none")
    assert rc == 0, out
    counts = json.loads(out.splitlines()[-1])
    rc, final = _phase(server, tmp, saga, db, "resume", "none")
    assert rc == 0, final
    return counts, json.loads(final.splitlines()[-1]), svc.effects()


EXPECTED = {
    "langgraph-ok": ["/flights/reserve", "/hotels/reserve", "/charges"],
    "langgraph-full": ["/flights/reserve", "/flights/release"],
    "agents-ok": ["/flights/reserve", "/hotels/reserve", "/charges"],
    "agents-full": ["/flights/reserve", "/flights/release"],
}


@pytest.mark.parametrize("saga", SAGAS)
def test_kill_at_every_event_matches_the_run_without_crash(env: Any, saga: str, tmp_path: Path) -> None:
    svc, server = env
    counts, expected, effects = _baseline(env, tmp_path, saga)
    assert [p for p, _ in effects] == EXPECTED[saga]
    assert expected["status"] == ("done" if saga.endswith("ok") else "compensated")
    if saga.endswith("full"):
        assert [r["comp_status"] for r in expected["ledger"]] == ["done", None]
    points = [f"{kind}:{k}" for kind, n in sorted(counts.items()) for k in range(1, n + 1)]
    assert {"http", "effect_start", "effect_done"} <= set(counts), counts
    assert len(points) >= 8, counts
    failures = []
    for point in points:
        svc.reset()
        db = tmp_path / f"{point.replace(':', '_')}.db"
        rc, out = _phase(server, tmp_path, saga, db, "first", point)
        if rc != -9:
            failures.append((point, "did not fire", rc, out[-300:]))
            continue
        rc, final = _phase(server, tmp_path, saga, db, "resume", point)
        got = json.loads(final.splitlines()[-1]) if rc == 0 else {"rc": rc, "out": final[-500:]}
        keys = [k for _, k in svc.effects()]
        if len(keys) != len(set(keys)):
            failures.append((point, "a key reached the service twice as a new effect", svc.effects()))
        if svc.effects() != effects:
            failures.append((point, "other effects than the no-crash run", svc.effects(), effects))
        if got != expected:
            failures.append((point, "final state or ledger differs", got, expected))
    assert not failures, json.dumps(failures, indent=1, default=str)[:4000]
