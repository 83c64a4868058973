"""A tool that fails beside parallel calls of the same model turn, with ``--session``
(docs/openai-agents.md, "Sessions"; issue 17).

``Runner.run`` runs a response's function-tool calls at once. When one raises (with
``failure_error_function=None``) it cancels the siblings still running, and saves the
calls that completed — both calls, then their outputs, in call order — to the session
before it raises (``_publish_completed_tools`` in the SDK). The local target gets this for
free: one drive runs the whole turn, the SDK makes the save through the drive's
``DriveSession`` (``run_sessions.py``), which passes it on to the user's session once,
as a keyed journal entry.

On an engine each call is a step of its own, and the failing step never sees its
siblings' outputs. So once the turn's calls have settled (the failing call failed for
good, running siblings were cancelled by ``fail_fast``), the engine asks for a **settle
drive** (``settle``): a replay of the run whose journal holds the completed siblings'
entries, in which the failing call raises again instead of running. The SDK then does
what it does under ``Runner.run`` — saves the completed calls through the same
``DriveSession`` — and its session writes come back as journal entries, which the run
keeps (a later drive finds them and writes nothing again). Who asks: the Temporal
workflow, after its fan-out settled (``temporal_session_failures``); on Conductor the
worker of the failing task, before reporting it failed, with the outputs of the fork's
completed tasks (``targets/conductor/session_failures.py``).

A failed run can be resumed: the failed call runs again, and the drive that completes the
turn saves the whole turn. The journal holds the failed turn's partial write under the
same key, so ``DriveSession`` writes only what that one did not save (``rest_of``),
under a key of its own. A drive that died after writing the partial turn but before
journaling it finds it in the session (``saved_part``) and adds only the rest.
"""

from __future__ import annotations

import asyncio
import copy
from collections import Counter
from typing import Any

from agentc.semantics import claim_check
from agentc.runtime_shims import openai_agents_replay as replay
from agentc.semantics.codec import digest

SETTLE_KEY = "settle"
"""The model step's input key that asks for a settle drive instead of a model call."""

SETTLE_TIMEOUT_S = 30.0
"""Bound of a settle drive: it replays journaled steps only, so it ends at once unless the
agents changed since the run started (then the partial turn is not saved)."""

SIBLINGS_ROUNDS = 200
"""Event-loop turns the failing call waits, in a settle drive, before it raises: the
journaled siblings return at once and their outputs reach the SDK within a few turns."""


# ---------------------------------------------------------------- write records
def write_record(op: str, n: int, added: list[Any] | None) -> dict[str, Any]:
    """The journal value of one session write: its kind, size and (``add``) the digests of
    the items, so a later drive can tell a partial write from its own."""
    rec: dict[str, Any] = {"op": op, "items": n}
    if added is not None:
        rec["digests"] = [digest(i) for i in added]
    return rec


def rest_of(rec: Any, added: list[Any] | None) -> tuple[list[Any], list[Any]] | None:
    """``(saved, missing)`` when the journaled write ``rec`` saved only part of ``added``
    (a failed turn's completed calls; this drive saves the turn whole): the items of
    ``added`` it saved, in its order, and the others, in this write's order. None when
    ``rec`` is this write (or a record without digests)."""
    if added is None or not isinstance(rec, dict) or rec.get("op") != "add":
        return None
    done = rec.get("digests")
    mine = [digest(i) for i in added]
    if done is None or done == mine or not _within(done, mine):
        return None
    by_digest = dict(zip(mine, added))
    left: Counter[str] = Counter(done)
    missing = []
    for d, item in zip(mine, added):
        if left[d] > 0:
            left[d] -= 1
        else:
            missing.append(item)
    return [copy.deepcopy(by_digest[d]) for d in done], missing


def saved_part(before: list[Any], now: list[Any], added: list[Any] | None) -> list[Any] | None:
    """What of ``added`` the user's session already shows after ``before`` — written by a
    drive that saved a failed turn's completed calls and died before journaling — or None
    when the session does not show such a part."""
    if added is None or len(now) <= len(before) or now[: len(before)] != before:
        return None
    part = now[len(before) :]
    return part if _within([digest(i) for i in part], [digest(i) for i in added]) else None


def missing(added: list[Any], part: list[Any]) -> list[Any]:
    """The items of ``added`` that ``part`` (a sub-multiset) lacks, in ``added``'s order."""
    left = Counter(digest(i) for i in part)
    out = []
    for item in added:
        d = digest(item)
        if left[d] > 0:
            left[d] -= 1
        else:
            out.append(item)
    return out


def _within(part: list[str], whole: list[str]) -> bool:
    """Whether ``part`` is a proper sub-multiset of ``whole``."""
    return len(part) < len(whole) and not Counter(part) - Counter(whole)


# ---------------------------------------------------------------- the settle drive
class ToolFailedBeside(RuntimeError):
    """The failing call of a settle drive, raised again instead of running it."""


class _SettleSteps(replay.Steps):
    def __init__(self, done: dict[str, Any], sink: Any, failed_key: str, error: str) -> None:
        super().__init__(done, sink, lambda e: replay.WAIT)
        self.failed_key, self.error = failed_key, error

    async def perform(self, effect: replay.Effect, execute: Any) -> tuple[bool, Any]:
        if effect.key == self.failed_key and effect.key not in self.done:
            for _ in range(SIBLINGS_ROUNDS):  # the journaled siblings complete first
                await asyncio.sleep(0)
            raise ToolFailedBeside(self.error)
        return await super().perform(effect, execute)


def settle(
    stepper: Any,
    run: dict[str, Any],
    entries: dict[str, str],
    target: list[str],
    error: str,
    workflow_id: str = "",
) -> dict[str, str]:
    """The journal entries (key → text) a settle drive adds: ``entries`` is the turn's
    journal with the completed siblings' (and the failed step's own) entries, ``target``
    the failing call's path. Empty when the run has no session."""
    from agentc.runtime_shims import policy_gate
    from agentc.runtime_shims.agent_steps import run_context

    if not has_session(stepper.wf):
        return {}
    new: dict[str, Any] = {}
    values = {k: claim_check.get_value(t) for k, t in entries.items()}
    steps = _SettleSteps(values, lambda k, kind, v: new.__setitem__(k, v), target[-1], error)
    steps.run_id = workflow_id
    steps.changed = asyncio.Event()
    steps.policy = policy_gate.gate_for(stepper.wf)

    async def drive() -> None:
        replay.activate(steps)
        kwargs = replay.run_kwargs(steps, run_context(run), run.get("max_turns"), stepper.wf)
        task = asyncio.ensure_future(
            replay.run_with_decisions(
                stepper.agent, run["input"], kwargs, lambda pause: steps.done.get(f"pause:{pause}")
            )
        )
        await asyncio.wait({task}, timeout=SETTLE_TIMEOUT_S)
        steps.closing = True
        if not task.done():
            task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    release = replay.install(stepper.agent, steps)
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(drive())
        loop.run_until_complete(loop.shutdown_default_executor())
    finally:
        loop.close()
        release()
    return claim_check.entries_of(new)


def has_session(wf: Any) -> bool:
    from agentc.ir.model import agent_system

    options = getattr(agent_system(wf), "run", None)
    return bool(getattr(options, "session", None))


def settle_step(stepper: Any, input: dict[str, Any], workflow_id: str = "") -> dict[str, Any]:
    """A model task asked to settle a failed turn (``SETTLE_KEY``): ``{journal, added,
    target, error}`` (the turn's journal text, the outputs of the completed siblings and
    of the failed step) → ``{"entries": ...}``, as a tool step's output."""
    from agentc.runtime_shims.agent_steps import read_run, unpack

    ask = input[SETTLE_KEY]
    entries = claim_check.load_journal(ask.get("journal"))
    for o in ask.get("added") or []:
        if isinstance(o, dict) and o.get("entries"):
            entries.update(claim_check.load_journal(o["entries"]))
    texts = settle(
        stepper,
        read_run(input["run"]),
        entries,
        unpack(ask["target"]),
        ask.get("error") or "",
        workflow_id,
    )
    return {"entries": claim_check.save_journal(texts)} if texts else {}
