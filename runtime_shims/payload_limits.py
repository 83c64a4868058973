"""The bound on what agentc hands a workflow engine: no activity or task input or output
above ``MAX_PAYLOAD`` bytes (64 KiB), whatever the run's length — large values travel
as claim-check references (``claim_check.py``), so only a bug or a huge inline value
(tool-call arguments the model wrote) can pass it. When one does, the step fails with a
diagnostic (AC312: the step, the size, the bound, a hint) and is not retried: an engine
would reject the payload on every attempt (Temporal's 2 MB ``PayloadsTooLarge`` retried
forever before this bound existed)."""

from __future__ import annotations

import json
from typing import Any

from agentc.errors import AgentcError, Code

MAX_PAYLOAD = 64 * 1024


def size_of(value: Any) -> int:
    """The payload's size as JSON (what Temporal's JSON converter and Conductor send)."""
    return len(
        json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8")
    )


def too_large(step: str, what: str, size: int, limit: int = MAX_PAYLOAD) -> AgentcError:
    return AgentcError(
        Code.PAYLOAD_TOO_LARGE,
        f"the {what} of step {step} is {size} bytes, over the {limit}-byte payload bound",
        construct=step,
        hint="large values travel through the blob store (--store URL); a value that stays "
        "inline (tool-call arguments the model wrote) must be smaller — pass a reference "
        "(a URL, a file name) instead of the data",
    )


def check(value: Any, step: str, what: str) -> None:
    size = size_of(value)
    if size > MAX_PAYLOAD:
        raise too_large(step, what, size)


def bounded(outcome: Any, step: str) -> Any:
    """A worker's ``Outcome`` whose output passes the bound, or a terminal failure that
    says so (the output is dropped, as Conductor drops an oversized one)."""
    from agentc.runtime_shims.protocol import Outcome, Status

    if outcome.status is not Status.COMPLETED:
        return outcome
    size = size_of(outcome.output)
    if size <= MAX_PAYLOAD:
        return outcome
    text = too_large(step, "output", size).diagnostic.render()
    return Outcome(Status.TERMINAL, {"error": text}, text)
