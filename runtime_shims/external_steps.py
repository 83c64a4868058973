"""Steps whose result comes from outside: external nodes and external agent tools
(docs/policies.md "External completion").

A LangGraph node or an OpenAI Agents function tool marked ``external = true`` in the
policy is *not* run by agentc: the run pauses holding no process, and whoever does the
work (a batch job, a human, a webhook handler) supplies the node's return value or the
tool's output. Every target pauses at the same place, through the shared code:

* **nodes** — ``policy_gate.node_gate`` asks with LangGraph's ``interrupt()`` (kind
  ``external_completion``), so the pause is an interrupt the plan already knows;
  the engines lower *that* interrupt natively (Temporal: an async-completed activity,
  ``temporal_external.py``; Conductor: a SIMPLE task no worker polls,
  ``targets/conductor/external_tasks.py``);
* **agent tools** — the journaled drive of ``Runner.run`` never runs the call: an engine's
  model step reports it as a step like any other call, lowered to the same external
  activity / task; the local drive stops once the run waits only for such calls
  (``until_external``) and ``agentc complete`` journals the tool's output.

A completed external tool call becomes the journal entry a tool step would have written
(``(output, context changes)``, no changes), so the next drive replays it as the SDK's
own tool output.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any, Awaitable

from agentc.errors import AgentcError, Code
from agentc.semantics import claim_check
from agentc.runtime_shims.policy_gate import EXTERNAL_KIND
from agentc.runtime_shims.protocol import ReportedCall

SUFFIX = "-_external"
"""Task type of an external step: the step's own type plus this (``-_`` never ends a
node or tool slug, so it cannot collide); no agentc worker registers or polls it."""

SAFE_NAME = re.compile(r"[A-Za-z0-9_-]+")

SETTLE_ROUNDS = 100
"""Event-loop turns the local drive waits, once the run waits for external calls and
nothing else runs, before it stops (the calls of one response reach their wrappers together)."""


def external_type(task_type: str) -> str:
    return task_type + SUFFIX


def is_external_type(task_type: str) -> bool:
    return task_type.endswith(SUFFIX)


def is_external(interrupts: list[dict[str, Any]]) -> bool:
    """An interrupt step output that waits for an external completion (not a human's answer)."""
    return (
        len(interrupts) == 1
        and isinstance(interrupts[0].get("value"), dict)
        and interrupts[0]["value"].get("kind") == EXTERNAL_KIND
    )


def external_tools(wf: Any) -> frozenset[str]:
    policies = getattr(wf, "policies", None)
    return (
        frozenset(r.name for r in policies.tools if r.external)
        if policies is not None
        else frozenset()
    )


def tool_timeout(wf: Any, tool: str) -> float | None:
    rule = wf.policies.tool(tool) if getattr(wf, "policies", None) is not None else None
    return rule.timeout if rule is not None else None


# ---------------------------------------------------------------- which step `agentc complete`
# means
def step_names(q: dict[str, Any]) -> tuple[str, ...]:
    """The names an external pause answers to: its node, or its tool call id and tool."""
    return tuple(str(q[k]) for k in ("node", "call_id", "tool") if q.get(k) is not None)


def choose(run_id: str, step: str, waiting: list[dict[str, Any]], question: Any) -> dict[str, Any]:
    """The one pending external step ``step`` names (``question(item)``: its interrupt
    value); AC112 when none or several do."""
    mine = [w for w in waiting if step in step_names(question(w))]
    if len(mine) == 1:
        return mine[0]
    listing = ", ".join(sorted({"/".join(step_names(question(w))) for w in waiting})) or "none"
    if not mine:
        raise AgentcError(
            Code.INVALID_RESUME,
            f"run {run_id} does not wait for step {step!r} to be completed",
            construct=run_id,
            hint=f"steps waiting for completion: {listing}",
        )
    raise AgentcError(
        Code.INVALID_RESUME,
        f"run {run_id} waits for {len(mine)} calls of {step!r}",
        construct=run_id,
        hint=f"name one by its call id: {listing}",
    )


# ---------------------------------------------------------------- agent tools on the engines
def tool_question(call: ReportedCall, timeout: float | None) -> dict[str, Any]:
    """What a paused external tool call shows (the interrupt's value)."""
    q = {
        "kind": EXTERNAL_KIND,
        "tool": call.name,
        "agent": call.agent,
        "call_id": call.call_id,
        "input": call.arguments,
        "answer": f"agentc complete RUN_ID {call.call_id} --value JSON (the tool's output)",
    }
    if timeout:
        q["timeout"] = timeout
    return q


def tool_task_input(call: ReportedCall, timeout: float | None) -> dict[str, Any]:
    """The dynamic-fork input of an external tool call's task: packed, as every
    dynamic-fork input is (Conductor evaluates expressions in them; call ids and arguments
    come from the model)."""
    out: dict[str, Any] = {
        "external": claim_check.put_value(
            {"key": call.path[-1], "question": tool_question(call, timeout)}
        )
    }
    if SAFE_NAME.fullmatch(
        call.name
    ):  # shown as is (pending lists); never text Conductor evaluates
        out["tool"] = call.name
    if timeout:
        out["timeout"] = timeout
    return out


def read_spec(task_input: dict[str, Any]) -> dict[str, Any]:
    """``{"key": journal key, "question": {...}}`` of an external tool task's input."""
    return claim_check.get_value(task_input["external"])


def completed_entries(added: list[Any]) -> list[Any]:
    """The outputs of the steps that ran since the last model step, with every completed
    external tool call turned into the journal entry its tool step would have written.
    An external call's output is ``{"resume": VALUE}`` (what ``agentc complete`` or a
    task update posts); its journal key comes from the task's input, carried in the output
    (``external``: Temporal's ``temporal_external.tool`` puts it there, Conductor's
    ``wire.with_external_specs`` from the previous model step's fork inputs)."""
    out = []
    for group in added:
        if not isinstance(group, dict):
            out.append(group)
            continue
        fixed = {}
        for ref, o in group.items():
            spec = _spec_of(o)
            if spec is None:
                fixed[ref] = o
                continue
            fixed[ref] = {
                "entries": claim_check.save_journal(
                    {spec["key"]: claim_check.put_value([o["resume"], None])}
                )
            }
        out.append(fixed)
    return out


def _spec_of(o: Any) -> dict[str, Any] | None:
    if not isinstance(o, dict) or "resume" not in o or o.get("entries"):
        return None
    packed = o.get("external")
    return read_spec({"external": packed}) if packed else None


# ---------------------------------------------------------------- agent tools, local drive
def local_admit(admit: Any, wf: Any) -> Any:
    """The local drive's admit policy: an external tool call is reported (``NEED``: it
    parks), never run; everything else as ``admit`` says."""
    from agentc.runtime_shims import openai_agents_replay as replay

    names = external_tools(wf)
    if not names:
        return admit

    def decide(e: Any) -> str:
        if e.kind == "tool" and e.info.get("tool") in names:  # a function or an agent tool
            return replay.NEED
        return admit(e)

    return decide


async def until_external(steps: Any, wf: Any, run: Awaitable[Any]) -> tuple[str, Any]:
    """Drive the run (``run``: ``run_with_decisions``) until it ends, or until it waits
    only for external tool calls (every other step finished, no new one for
    ``SETTLE_ROUNDS`` turns): then the drive is cancelled — holding nothing — and the run
    is ``waiting`` with one interrupt per call."""
    if not external_tools(wf):
        return await run
    steps.changed = asyncio.Event()
    steps.ran = steps.changed.set  # a sibling call that finishes may leave only external calls
    task = asyncio.ensure_future(run)
    try:
        while True:
            waiter = asyncio.ensure_future(steps.changed.wait())
            await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            if task.done():
                return task.result()
            steps.changed.clear()
            if steps.needs and await _quiet(task, steps):
                break
    except BaseException:
        task.cancel()
        raise
    pending = [_interrupt(e, tool_timeout(wf, e.info["tool"])) for e in steps.needs]
    steps.closing = True
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return "waiting", pending


async def _quiet(task: asyncio.Future, steps: Any) -> bool:
    """Nothing runs but parked calls, and no call was added for a while."""
    while True:
        n = len(steps.needs)
        for _ in range(SETTLE_ROUNDS):
            await asyncio.sleep(0)
        if task.done():
            return False
        if steps.running:
            return False  # a sibling still runs: its end signals again
        if len(steps.needs) == n:
            return True


def _interrupt(e: Any, timeout: float | None) -> dict[str, Any]:
    from agentc.runtime_shims.agent_approvals import parse_args

    call = ReportedCall(
        "tool",
        e.info["agent"],
        e.info["tool"],
        e.info["call_id"],
        parse_args(e.info["arguments"]),
        tuple(e.path),
    )
    return {
        "kind": EXTERNAL_KIND,
        "id": call.call_id,
        "key": e.key,
        "value": tool_question(call, timeout),
    }
