"""Structured concurrency for a superstep's parallel tasks on the local executor
(``[policies.fanouts.NODE]``, docs/policies.md "Fan-outs"): ``fail_fast`` cancels the
siblings at the first failure, ``deadline`` bounds the whole fan-out. Without a policy
the executor keeps LangGraph's own behaviour (every task of the step runs to its end).

Cancellation is ``semantics.cancel_scope``: a sibling that has not started never
starts; an async node is cancelled at its next ``await``; a sync node finishes its call.
A cancelled sibling records nothing, so resuming the failed run runs it again (as the
failed node); a sibling that completed is journaled as usual. Every worker thread has
ended when ``run`` returns (nothing leaks into the next step).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from typing import Any, Callable

from agentc.errors import Code, RunFailed
from agentc.semantics.cancel_scope import CancelScope, entered

CANCELLED = object()


class Fanout:
    def __init__(self, policy: Any) -> None:
        self.policy = policy
        self.scope = CancelScope()

    def _guarded(self, execute: Callable[[Any], Any], task: Any) -> Any:
        if self.scope.cancelled.is_set():
            return CANCELLED  # never started
        previous = entered(self.scope)
        try:
            res = execute(task)
        finally:
            entered(previous)
        if self.scope.cancelled.is_set() and isinstance(
            getattr(res, "error", None), asyncio.CancelledError
        ):
            return CANCELLED
        return res

    def run(
        self,
        todo: list[Any],
        execute: Callable[[Any], Any],
        record: Callable[[Any, Any, bool], None],
    ) -> None:
        p = self.policy
        end = time.monotonic() + p.deadline if p.deadline else None
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=min(32, len(todo)))
        try:
            futures = {pool.submit(self._guarded, execute, t): t for t in todo}
            pending = set(futures)
            while pending:
                timeout = None if end is None else max(0.0, end - time.monotonic())
                done, pending = concurrent.futures.wait(
                    pending, timeout=timeout, return_when=concurrent.futures.FIRST_COMPLETED
                )
                if not done:  # the fan-out's deadline passed
                    self.scope.cancel()
                    self._finish(futures, pending, record)
                    src = p.source
                    raise RunFailed(
                        Code.FANOUT_DEADLINE,
                        f"the fan-out of {p.name!r} did not finish within its "
                        f"deadline of {p.deadline:g} s; {len(pending)} task(s) were cancelled",
                        construct=f"fanout {p.name!r}",
                        source=src,
                        hint="raise the deadline, or resume the run to run the cancelled tasks "
                        "again",
                    )
                for fut in done:
                    res = fut.result()
                    if res is CANCELLED:
                        continue
                    failed = getattr(res, "error", None) is not None
                    if failed and p.mode == "fail_fast":
                        self.scope.cancel()
                    record(futures[fut], res, not pending and not self.scope.cancelled.is_set())
        finally:
            pool.shutdown(wait=True)

    @staticmethod
    def _finish(futures: dict, pending: set, record: Callable[[Any, Any, bool], None]) -> None:
        """After a cancellation: let the siblings end, keep what completed."""
        for fut in concurrent.futures.as_completed(pending):
            res = fut.result()
            if res is not CANCELLED and getattr(res, "error", None) is None:
                record(futures[fut], res, False)


def fanout_for(wf: Any, ns: str, todo: list[Any]) -> Fanout | None:
    """The fan-out policy of a root-graph step running several tasks of a named node."""
    policies = getattr(wf, "policies", None)
    if policies is None or ns or len(todo) < 2 or not policies.fanouts:
        return None
    names = {t.name for t in todo}
    for f in policies.fanouts:
        if f.name in names and (f.mode == "fail_fast" or f.deadline):
            return Fanout(f)
    return None
