"""One agent run on local, the Conductor simulation or Temporal, with ``Runner.run``
options from the environment (as `agentc worker` processes of the project read them), the
approvals of each pause answered by ``resume`` — for tests/test_run_error_handlers.py,
tests/test_sticky_approvals.py and tests/test_run_sessions.py."""
from __future__ import annotations

import asyncio
from typing import Any, Callable

import agents_run_errors as R
import openai_agents_oracle as O

import agentc
from agentc.errors import AgentcError
from agentc.fixtures.openai_agents.fake_model import recording
from agentc.targets.conductor.simulate import Simulation


def run_on(target: str, tmp_path: Any, request: Any, ref: str, text: Any, *, env: dict[str, str] | None = None,
           max_turns: int | None = None, resume: Callable[[list], Any] | None = None,
           context: Any = None, db: str | None = None) -> dict[str, Any]:
    """``{**output, model_calls, fired, pauses}`` or ``{error: Diagnostic, model_calls,
    fired}``; ``fired``: ``agents_run_errors.FIRED`` (what the user's code did, in order)."""
    from agentc.targets.temporal import engine

    mp = request.getfixturevalue("monkeypatch")
    for k, v in (env or {}).items():
        mp.setenv(k, v)
    context = {"events": []} if context is None else context
    R.FIRED.clear()
    pauses: list[Any] = []
    with recording() as log:
        try:
            if target == "local":
                db = db or str(tmp_path / "r.db")
                out = agentc.run(ref, text, db=db, context=context, recursion_limit=max_turns, full_result=True)
                while out.status == "waiting" and resume:
                    pauses.append(out.interrupts)
                    out = agentc.resume(out.run_id, resume(out.interrupts), db=db)
            elif target == "conductor":
                agentc.compile(ref, target="conductor").write(tmp_path / "c")
                sim = Simulation.of(tmp_path / "c")
                out = sim.start(text, context, max_turns=max_turns, full_result=True)
                while out.status == "waiting" and resume:
                    pauses.append(out.interrupts)
                    out = sim.resume(resume(out.interrupts))
            else:
                address = request.getfixturevalue("temporal_address")

                async def go() -> Any:
                    client = await engine.connect(address)
                    async with engine.running_worker(client, engine.load(ref, tmp_path / "code")):
                        out = await asyncio.wait_for(engine.start(ref, address, text, context=context,
                                                                  max_turns=max_turns, client=client,
                                                                  full_result=True), 120)
                        while out.status == "waiting" and resume:
                            pauses.append(out.interrupts)
                            out = await asyncio.wait_for(engine.resume(out.run_id, address, resume(out.interrupts),
                                                                       client=client), 120)
                        return out

                out = asyncio.run(go())
        except AgentcError as exc:
            return {"error": exc.diagnostic, "model_calls": O.model_calls(log), "fired": list(R.FIRED)}
    assert out.status == "done", out
    return {**out.output, "model_calls": O.model_calls(log), "fired": list(R.FIRED), "pauses": pauses}
