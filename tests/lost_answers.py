"""A Conductor simulation whose worker answer is lost once, after the user's code ran
(the effects tests on engines: the retried task must send the same key)."""
from __future__ import annotations

from typing import Any


def lose_once(sim: Any, suffix: str) -> list[str]:
    """The worker's answer for the first task whose type ends with ``suffix`` is lost
    after the service answered (the task fails as a dead worker's would: retried)."""
    from agentc.targets.conductor.emulator.simulator import TaskResult

    serve_task, lost = sim._serve, []  # noqa: SLF001 - the simulator's worker callback

    def dying(call: Any) -> Any:
        result = serve_task(call)
        if call.task_type.endswith(suffix) and not lost:
            lost.append(call.task_type)
            return TaskResult("FAILED", {}, "worker lost")
        return result

    sim.sim._worker = dying  # noqa: SLF001
    return lost
