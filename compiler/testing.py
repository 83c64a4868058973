"""``agentc.testing``: cassette tests for agents — record a run once, replay it in CI.

A pytest plugin (registered through the ``pytest11`` entry point, so installing agentc is
enough). Its ``agent_cassette`` fixture runs an agent the first time against its real
model and keeps the run's transcript (docs/replay.md) as the test's cassette, next to the
test file (``cassettes/<test name>.json``). Every later run replays the cassette on the
local executor with the agent's *current* code and zero model calls: the recorded model
outputs (and tool results) are reused, everything else — routing, tool arguments, business
logic — runs. When the code no longer does what it did when recording (it asks the model
something the cassette has no answer for, or its trajectory differs), the test fails with
the trajectory diff. docs/testing.md shows the workflow.

``pytest --agentc-record`` (or ``AGENTC_RECORD=1``) records the cassettes again.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest

RECORD_ENV = "AGENTC_RECORD"


class CassetteMismatch(AssertionError):
    """The agent no longer behaves as recorded (the message holds the trajectory diff)."""


class Cassette:
    """One test's cassette. ``run`` records it (missing, or recording requested) or replays it."""

    def __init__(self, path: Path, record: bool) -> None:
        self.path = path
        self.record = record or not path.exists()
        self.recorded = False
        """Whether the last ``run`` recorded (True) or replayed (False)."""

    def run(
        self,
        agent: Any,
        input: Any,
        *,
        answers: list[Any] = (),
        context: Any = None,
        live_tools: bool = False,
    ) -> Any:
        """Run ``agent`` (a REF string, or the object itself when it is importable by a
        REF) on ``input``; ``answers`` resume its pauses in order (interrupt values, or tool
        approvals ``{"approve": [...]}``). Returns the run's output (the final state, or
        ``{"final_output", "last_agent"}``)."""
        return (
            self._record(agent, input, answers, context)
            if self.record
            else self._replay(agent, live_tools)
        )

    def _record(self, agent: Any, input: Any, answers: Any, context: Any) -> Any:
        import agentc
        from agentc.audit import history, transcript

        with tempfile.TemporaryDirectory() as tmp:
            db = str(Path(tmp) / "record.db")
            out = agentc.run(agent, input, db=db, context=context, run_id="cassette")
            for answer in answers:
                if out.status != "waiting":
                    break
                out = agentc.resume(
                    out.run_id, answer, db=db, obj=None if isinstance(agent, str) else agent
                )
            h = history("cassette", db=db)
        transcript.write(self.path, transcript.dumps(h))
        self.recorded = True
        return (
            out.output
            if out.status == "done"
            else {"status": out.status, "interrupts": out.interrupts}
        )

    def _replay(self, agent: Any, live_tools: bool) -> Any:
        from agentc.audit import record
        from agentc.audit.replay import replay

        h = record(self.path)
        r = replay(h, obj=agent, then="stop", live_tools=live_tools)
        self.recorded = False
        if r.status == "stopped" or r.diff:
            why = f"it stopped at {r.stopped}" if r.stopped else "its trajectory differs"
            raise CassetteMismatch(
                f"the agent no longer behaves as recorded in {self.path} ({why}):\n"
                + "\n".join(r.diff)
                + f"\n(record again with `pytest --agentc-record` or {RECORD_ENV}=1 if the change "
                "is intended)"
            )
        if r.status == "done":
            return r.replayed.output
        return {"status": r.status, "interrupts": r.replayed.interrupts}


def pytest_addoption(parser: Any) -> None:
    group = parser.getgroup("agentc")
    group.addoption(
        "--agentc-record",
        action="store_true",
        default=False,
        help="agentc cassettes: run the agents live and record their cassettes again",
    )


@pytest.fixture
def agent_cassette(request: Any) -> Cassette:
    """The cassette of this test (``cassettes/<test name>.json`` beside the test file)."""
    name = re.sub(r"[^\w.-]+", "_", request.node.name).strip("_")
    path = Path(str(request.node.fspath)).parent / "cassettes" / f"{name}.json"
    record = bool(request.config.getoption("--agentc-record", default=False)) or os.environ.get(
        RECORD_ENV, ""
    ) not in ("", "0")
    return Cassette(path, record)
