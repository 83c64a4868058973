"""Every run of a Temporal workflow id, oldest first: a long workflow continues as new
(``runtime_shims/temporal_runtime.py``: at the top of a loop iteration once its history
passes ``options.max_history_events``, or when the server suggests it; docs/temporal.md),
and each run has a history of its own. The client's ``fetch_history`` of a workflow id
reads its latest run only, so the history reader (``history.py``) walks back through each
run's ``WorkflowExecutionStarted`` event, whose ``continued_execution_run_id`` names the
run it continues, and reads the runs in order as one record (docs/replay.md).
"""

from __future__ import annotations

from typing import Any


async def histories(client: Any, workflow_id: str, latest: Any) -> list[Any]:
    """The histories of every run of ``workflow_id``, oldest first; ``latest``: the
    history of its latest run (already fetched)."""
    from agentc.errors import AgentcError, Code

    runs = [latest]
    seen: set[str] = set()
    while True:
        first = runs[0].events[0] if runs[0].events else None
        if first is None or first.WhichOneof("attributes") != (
            "workflow_execution_started_event_attributes"
        ):
            break
        prev = first.workflow_execution_started_event_attributes.continued_execution_run_id
        if not prev:
            break
        if prev in seen:  # a server never links runs in a cycle; refuse rather than loop
            raise AgentcError(
                Code.UNKNOWN_RUN,
                f"the runs of workflow {workflow_id!r} continue each other in a cycle ({prev})",
                construct=workflow_id,
                hint="inspect them with `temporal workflow list --query \"WorkflowId = '...'\"`",
            )
        seen.add(prev)
        runs.insert(0, await client.get_workflow_handle(workflow_id, run_id=prev).fetch_history())
    return runs
