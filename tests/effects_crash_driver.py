"""Subprocess driver for the effect crash tests (tests/test_effects_crash.py).

    python tests/effects_crash_driver.py SAGA DB PHASE KILL_AT

SAGA is ``<sdk>-<hotel>`` (``langgraph-ok``, ``langgraph-full``, ``agents-ok``,
``agents-full``); the booking service's URL is ``$AGENTC_BOOKING_URL``.

PHASE "first": start the saga's run (run id ``saga``) and SIGKILL the process at KILL_AT:
``<event>:<k>`` — the k-th event of that kind, counted over the phase: every journal
commit the executor reports (task_start, task, barrier, step, done, effect_start,
effect_done, compensate_start, compensate_done) and ``http`` (right after the service
answered a request, before the caller sees it: the "worker died mid-tool" point).
``none`` never kills and prints the event counts as JSON.

PHASE "resume": ``agentc.resume`` the run until it has ended (a crash during a resume is
not injected) and print ``{"status", "output", "ledger"}`` as JSON.

    python tests/effects_crash_driver.py --serve

is a fork server: it imports the SDKs, agentc and the fixtures once, then forks a fresh
child per JSON request line ``{"argv": [...], "stdout": PATH}`` and answers
``{"returncode": N}`` (-9: SIGKILLed).
"""
from __future__ import annotations

import json
import os
import signal
import sys
from collections import Counter
from typing import Any

REFS = {"langgraph": "agentc.fixtures.langgraph.booking_saga:graph",
        "agents": "agentc.fixtures.openai_agents.booking_saga:agent"}
POLICY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "langgraph",
                      "booking_saga.policy.toml")


def saga_input(sdk: str, hotel: str) -> Any:
    if sdk == "langgraph":
        return {"trip": "t", "hotel": hotel, "amount": 420}
    return f"book trip t hotel {hotel} amount 420"


class Killer:
    def __init__(self, phase: str, kill_at: str) -> None:
        self.phase = phase
        self.kind, self.n = (None, 0) if kill_at == "none" else (kill_at.split(":")[0], int(kill_at.split(":")[1]))
        self.counts: Counter[str] = Counter()

    def tick(self, kind: str, info: Any = None) -> None:
        self.counts[kind] += 1
        if self.phase == "first" and kind == self.kind and self.counts[kind] == self.n:
            sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGKILL)


def ledger(db: str) -> list[dict[str, Any]]:
    import agentc

    keep = ("key", "name", "class", "status", "digest", "comp_status")
    return [{k: r[k] for k in keep} | {"result": r["result"]} for r in agentc.effects_of("saga", db=db)]


def main(argv: list[str]) -> int:
    import agentc
    from agentc.fixtures import booking_http
    from agentc.semantics.codec import to_jsonable

    saga, db, phase, kill_at = argv
    sdk, hotel = saga.split("-")
    killer = Killer(phase, kill_at)
    post = booking_http.post

    def observed_post(path: str, body: dict[str, Any], key: str | None) -> dict[str, Any]:
        try:
            return post(path, body, key)
        finally:  # the service has answered (or refused): the effect is done
            killer.tick("http")

    booking_http.post = observed_post
    import importlib

    for mod in ("agentc.fixtures.langgraph.booking_saga", "agentc.fixtures.openai_agents.booking_saga"):
        importlib.import_module(mod).post = observed_post
    policy = POLICY if sdk == "langgraph" else None
    if phase == "first":
        try:
            agentc.run(REFS[sdk], saga_input(sdk, hotel), db=db, run_id="saga", on_event=killer.tick, policy=policy)
        except agentc.AgentcError:
            pass
        print(json.dumps(dict(killer.counts), sort_keys=True))
        return 0
    status, output = None, None
    for _ in range(5):
        row = next(r for r in agentc.runs(db=db) if r["run_id"] == "saga")
        if row["status"] in ("done", "compensated", "cancelled"):
            status = row["status"]
            break
        try:
            out = agentc.resume("saga", db=db)
            output = to_jsonable(out.output)
        except agentc.AgentcError:
            pass
    if status == "done" and output is None:
        from agentc.targets.local.journal import Journal

        j = Journal(db)
        output = to_jsonable(j.run("saga")["output"])
        j.close()
    print(json.dumps({"status": status, "output": output, "ledger": ledger(db)}, sort_keys=True))
    return 0


def serve() -> None:
    import agents  # noqa: F401
    import langgraph.graph  # noqa: F401

    import agentc
    from agentc.fixtures.langgraph import booking_saga  # noqa: F401
    from agentc.fixtures.openai_agents import booking_saga as agent_saga  # noqa: F401

    agentc.load(REFS["langgraph"], policy=POLICY)  # warm the frontends
    agentc.load(REFS["agents"])
    for line in sys.stdin:
        req = json.loads(line)
        pid = os.fork()
        if pid == 0:
            fd = os.open(req["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            code = 1
            try:
                code = main(req["argv"])
            finally:
                sys.stdout.flush()
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        rc = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        print(json.dumps({"returncode": rc}), flush=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        serve()
    else:
        sys.exit(main(sys.argv[1:]))
