"""The booking saga for the Temporal crash test (tests/test_effects_temporal.py): the
fixture's graph, with its HTTP client wrapped so that the worker PROCESS SIGKILLs itself
right after the service answered the request named by ``$AGENTC_KILL_AFTER`` (once: a
marker file ``$AGENTC_KILL_MARK`` remembers it) — a worker dying mid-tool, after the
effect and before Temporal heard of it."""
from __future__ import annotations

import os
import signal
from typing import Any

from agentc.fixtures.langgraph import booking_saga

_post = booking_saga.post


def post(path: str, body: dict[str, Any], key: str | None) -> dict[str, Any]:
    out = _post(path, body, key)
    mark = os.environ.get("AGENTC_KILL_MARK", "")
    if path == os.environ.get("AGENTC_KILL_AFTER") and mark and not os.path.exists(mark):
        with open(mark, "w") as f:
            f.write(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)
    return out


booking_saga.post = post
graph = booking_saga.graph
