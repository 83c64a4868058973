"""A Conductor simulation as a stream follower's source (``runtime_shims/agent_stream.py``).

``Simulation.observe`` hands this every worker task's output as the simulator completes
it: an agent step's output carries its journal entries (a model step the whole journal, a
tool step its new ones; a claim-check chain, docs/claim-check.md), keyed as the local
journal keys them. The follower reads what has been collected after each task.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from agentc.runtime_shims.agent_stream import Snapshot

PAUSE = "pause:"


class TaskOutputs:
    """Collects the journal entries of task outputs (called from the simulation's thread);
    ``state()``: the simulation's driver's view (``running`` until it returned)."""

    def __init__(self, state: Callable[[], str]) -> None:
        self.state = state
        self.lock = threading.Lock()
        self.entries: dict[str, Any] = {}
        self.decisions: dict[str, Any] = {}

    def __call__(self, output: Any, task_type: str | None = None) -> None:
        from agentc.semantics import claim_check
        from agentc.runtime_shims.protocol import journal_text

        blob = journal_text(output)  # a model turn's journal, a tool step's entries
        if not blob:
            return
        found = claim_check.values(claim_check.load_journal(blob))
        with self.lock:
            for key, value in found.items():
                if key.startswith(PAUSE):
                    self.decisions[key[len(PAUSE) :]] = value
                else:
                    self.entries.setdefault(key, value)

    async def snapshot(self) -> Snapshot:
        state = self.state()  # first: what is collected then is complete if the simulation ended
        with self.lock:
            return Snapshot(dict(self.entries), dict(self.decisions), state)
