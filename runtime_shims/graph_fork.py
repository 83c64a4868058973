"""A fork of a LangGraph run on an engine: a new workflow run whose first supersteps are
answered from the original's record (docs/replay.md, "Forks on Temporal and Conductor").

A compiled graph workflow always starts at START and walks the plan, each step continuing
the Pregel frame of the one before (``steps.py``). A fork does not need another entry:
it is a new run of the same workflow whose input carries ``fork`` (``FIELD``, a
claim-check value, ``claim_check.put_value``), and every node step of the root graph looks
its task up there before calling the node:

* a task of the forked prefix (a superstep before the altered one, or a sibling of the
  altered task in its superstep, which ran on the same snapshot) returns the writes the
  original recorded for it — the node is not called, nor any model inside it — and the
  chat calls it recorded, so the fork's history shows them where the original had them;
* the altered task returns the ``--set`` value as its node's return value (its routers,
  ``Command`` and ``Send``s run on it, as on the node's own return; LangGraph's
  ``update_state(..., as_node=...)`` does the same), or — an altered chat call inside it —
  re-runs the node with its recorded chat calls answered from the record, the altered
  one with the new value, the later ones live (``agentc.audit.replay_chat``);
* any other task runs live. A task of a superstep before the altered one that the
  record lacks fails the step loudly (AC122): the run left the recorded path, so the
  record no longer describes it.

The START step, barriers and the END read-out run as always: applying recorded writes
with the user's reducers gives the original's frames, and each step still checks that its
schedule is the compiled plan's.

A subgraph node of the root graph runs as a child workflow (Temporal child workflow,
Conductor ``SUB_WORKFLOW``) whose inner steps the record does not hold — only the writes
its graph made to the parent's task (the child's END step returns them, ``steps._end``).
So a fork answers the subgraph node itself, before any child starts: the engine first
calls the child's END step with ``PROBE`` set (``probe_type``), which answers the parent's
task from the record exactly as a node step does — the recorded writes, or the ``--set``
value as the subgraph's return value — or says ``live`` (not answered: start the child
as always). Temporal: ``temporal_runtime.AgentWorkflow.child``; the Conductor simulation:
``targets/conductor/fork.answer_sub_workflow``.

A fork point inside a subgraph: the record is nested (``compiler/audit/graph_fork_engines``).
The root's record names the subgraph node task that holds the fork point as its target and
carries that subgraph's own record (``sub``, which says its level: ``path``); the probe of
that task answers ``LIVE`` with the nested record (``FIELD``), and the engine starts the
child with it in place of its parent's. The child's steps then answer from it as the root's
do from the root's — and its own subgraph nodes probe the same way, so nested subgraphs
fork recursively. A record answers only its own level (``answer``): a child started with
its parent's record (a Conductor sub-workflow's input passes ``fork`` on) runs live.
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

FIELD = "fork"
"""The workflow-input key (Temporal: passed to every step, ``temporal_runtime._payload``;
Conductor: the workflow input's ``fork``, wired into the root level's node tasks by
``targets/conductor/lowering.py``)."""
ANSWERS = "fork_answers"
"""A Temporal graph fork's workflow-input key: the original's answers (interrupt id or
breakpoint ref → value), which the workflow starts with as received
(``temporal_runtime.GraphWorkflow.begin``), so it does not wait at those pauses
(``compiler/audit/graph_fork_engines.fork_answers`` chooses them)."""
BREAKPOINT_REFS = ("pause_before_b", "pause_after_b")
"""How both engines name a breakpoint's wait (``targets/temporal/codegen.py``,
``targets/conductor/lowering.py``): a Temporal ``resume`` signal's key, a HUMAN task's ref.
Each graph level numbers its own, so a ref is only unique within its level."""


def child_answers(answers: dict[str, Any]) -> dict[str, Any]:
    """The fork's answers a subgraph's child workflow starts with (Temporal): those to an
    ``interrupt()``, keyed by interrupt id (unique to the task that asked, at any level:
    LangGraph hashes its namespace into it), so a pause re-reached inside a live child gets
    the original's answer as at the root. Not a breakpoint's release: its ref names a wait
    of the root's level, which a child's own breakpoint of the same number would take."""
    return {k: v for k, v in answers.items() if not str(k).startswith(BREAKPOINT_REFS)}


PROBE = "fork_probe"
"""Input key of a subgraph END step called to answer its parent's task from the fork's
record (``answer_subgraph``); its output has ``MARK`` when it did, else ``LIVE``."""
LIVE = "fork_live"
MARK = "forked"
"""Output key of a node step the fork answered: ``record`` (recorded writes) or ``set``
(the altered value); the fork's history shows it (``data.forked``) and counts the rest as live."""
BY_COMMAND = "by_parent_command"
"""Output key of a subgraph END step whose graph ended with ``Command(graph=PARENT)``: the
node that returned it ran, but its step has no writes of its own level, so no history lists
it (as LangGraph's checkpoints do not); the history reader keeps the mark on the subgraph
node's event (``targets/step_history.py``) and a fork counts that node as run live
(``compiler/audit/graph_fork_engines.counts``), as the local fork does."""
GIVEN = "fork_given"
"""Output key of a task answered from the record that had paused in the original: the
``resume`` events it got there, ``[key, value]`` (the plan's ``given``,
``graph_fork_engines._given``), so the fork's history shows those answers where the
original got them — the fork never pauses there, the task being answered
(``targets/step_history.py``)."""


@dataclass
class Answer:
    """How the fork answers one node task."""

    writes: list[tuple[str, Any]] | None = None
    """Recorded writes (the node is not called)."""
    value: Any = None
    has_value: bool = False
    """The altered return value (``--set``)."""
    chat: list[tuple[str, Any]] | None = None
    """The recorded chat calls of an answered task (shown in the fork's history)."""
    rerun: tuple[int, Any, list[tuple[str, Any]]] | None = None
    """An altered chat call: (its number, the new AI message, the task's recorded calls)."""
    given: list[Any] | None = None
    """The answers the task got in the original before its writes (``GIVEN``)."""
    sub: dict[str, Any] | None = None
    """A subgraph node task that holds the fork point: its child's own record (``nested``)."""

    def mark(self, out: dict[str, Any]) -> dict[str, Any]:
        """``out`` (the answered task's step output) marked as the fork answered it."""
        out[MARK] = "record" if self.writes is not None else "set"
        if self.given and self.writes is not None:
            out[GIVEN] = self.given
        return out


_CACHE: OrderedDict[str, dict[str, Any]] = OrderedDict()
_LOCK = threading.Lock()


def _plan(text: str) -> dict[str, Any]:
    from agentc.semantics.claim_check import get_value

    with _LOCK:
        if text in _CACHE:
            _CACHE.move_to_end(text)
            return _CACHE[text]
    plan = get_value(text)
    with _LOCK:
        _CACHE[text] = plan
        while len(_CACHE) > 8:
            _CACHE.popitem(last=False)
    return plan


def answer(
    input: dict[str, Any], path: tuple[str, ...], step: int, task_key: str, child: bool = False
) -> Answer | None:
    """The fork's answer for task ``task_key`` of superstep ``step`` of graph level ``path``
    (None: run it live), from the record the step's input carries — the root's, or a
    subgraph's own (``nested``), which says its level (``path``): a record of another level
    answers nothing. ``child``: the task is a subgraph node's (``answer_subgraph``), which
    may hold the fork point (``Answer.sub``). Raises AC122 for a task before the altered
    superstep the record lacks."""
    text = input.get(FIELD)
    if not text:
        return None
    plan = _plan(text)
    if tuple(plan.get("path") or ()) != tuple(path):
        return None  # a child started with its parent's record: not this level's
    key = f"/{step}/{task_key}"
    chat = plan.get("chat", {}).get(key)
    if key in plan["writes"]:
        writes = [tuple(w) for w in plan["writes"][key]]
        return Answer(writes=writes, chat=chat, given=plan.get("given", {}).get(key))
    if key == plan.get("target"):
        if "sub" in plan:  # the fork point is inside this subgraph node's graph
            return Answer(sub=plan["sub"]) if child else None
        if "rerun" in plan:
            n, message = plan["rerun"]
            return Answer(rerun=(n, message, chat or []))
        if "value" in plan:
            return Answer(value=plan["value"], has_value=True)
    if step < plan["step"]:
        from agentc.errors import AgentcError, Code

        raise AgentcError(
            Code.GRAPH_CHANGED,
            f"the fork reached task {task_key} of superstep {step}, which the "
            f"forked run's record does not hold (it forks at superstep {plan['step']})",
            construct=f"task {task_key}",
            hint="the graph's code took another path than the record "
            "(it changed since), or the record lost the step; fork it on the local executor",
        )
    return None


def rerun_answers(rerun: tuple[int, Any, list[tuple[str, Any]]], where: str) -> Any:
    """``replay_chat.Answers`` for a node re-run with chat call ``n`` altered: the calls
    before it from the record, call ``n`` the new message, the ones after it live."""
    from agentc.runtime_shims.chat_answers import Answers, Stats

    n, message, recorded = rerun
    rows = [(i, d, m) for i, (d, m) in enumerate(recorded[:n])]
    if n < len(recorded):
        rows.append((n, recorded[n][0], message))
    return Answers(rows, False, where, [str(i) for i, _, _ in rows], Stats())


@contextlib.contextmanager
def rerun(forked: Answer | None, capture: Any, node: str) -> Iterator[None]:
    """Around a node call: for an altered chat call, the node's capture answers its calls
    from the record (``rerun_answers``) through the replay's LLM cache; else nothing."""
    if forked is None or forked.rerun is None:
        yield
        return
    from agentc.runtime_shims.chat_answers import installed

    capture.answers = rerun_answers(forked.rerun, f"node {node!r}")
    with installed():
        yield


def probe_type(child_workflow: str) -> str:
    """The END task type of the child workflow ``child_workflow`` (``compiler/plan/layout``
    names a level's special steps ``<level workflow>-_<kind>``): the step a fork calls with
    ``PROBE`` instead of starting the child."""
    return f"{child_workflow}-_end"


def answer_subgraph(worker: Any, level: Any, input: dict[str, Any], ctx: dict[str, Any]) -> Any:
    """A subgraph END step called with ``PROBE`` (module docstring): ``input`` is what the
    parent would start the child with (its ``prev``, ``self`` and ``fork``). The parent's
    task for the subgraph node answered from the fork's record — its output is the one the
    child's END step would give, marked ``MARK`` — or ``{LIVE: True}``. Raises AC122 as
    ``answer`` does for a prefix task the record lacks."""
    from agentc.compat.langgraph import PULL
    from agentc.runtime_shims import step_audit
    from agentc.semantics import pregel

    parent = worker.layout.levels[level.path[:-1]]
    pframe, pblock, ptasks = worker._enter(parent, input, ctx)
    name = level.path[-1]
    ptask = next((t for t in ptasks if t.path == (PULL, name)), None)
    forked = (
        answer(input, parent.path, pframe.step, ptask.key, child=True)
        if ptask is not None
        else None
    )
    if forked is not None and forked.sub is not None:  # its child forks too: its own record
        from agentc.semantics.claim_check import put_value

        return {LIVE: True, FIELD: put_value(forked.sub)}
    if ptask is None or forked is None or (forked.writes is None and not forked.has_value):
        return {LIVE: True}
    writes = forked.writes
    if writes is None:  # the altered subgraph node: --set is its graph's return value
        config = worker._config(parent, pframe, ptask, input, ctx, [])
        writes = pregel.task_writes(pframe, ptask, forked.value, config, worker.resolve)
    out = forked.mark(worker._after(parent, pframe, pblock, ptasks, ptask, writes, input))
    return step_audit.stamp_node(parent.path, input, out, name, worker.wf)
