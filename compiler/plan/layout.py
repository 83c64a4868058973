"""Engine-neutral layout of a workflow: per graph level (root graph, each subgraph), its
superstep schedules, their structured form, and the names of the steps an engine runs —
one step type per node, plus ``_start``, ``_barrier`` and ``_end``. The Conductor target
turns a layout into WorkflowDefs, the Temporal target into workflow code, and the step
worker (``runtime_shims/steps.py``) reads it to know what each step type runs; all three
build it from the same IR, so their names and plan ids agree.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from agentc.errors import AgentcError, Code
from agentc.ir import Graph, SubgraphNode, Workflow, fingerprint

from .schedule import END_ID, Block, Schedule, build
from .structure import Structured, structure

SAFE = re.compile(r"^[A-Za-z0-9_]+$")


def slug(name: str) -> str:
    """``[A-Za-z0-9_]`` only, no ``__`` (Conductor loop suffixes), never empty."""
    s = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_")
    return s or "n"


class Refs:
    """Unique names within one workflow: safe characters, no ``__``."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def take(self, base: str) -> str:
        base = slug(base)
        ref, n = base, 1
        while ref in self.used:
            n += 1
            ref = f"{base}_{n}"
        if not SAFE.match(ref) or "__" in ref:  # slug() guarantees it; checked, not asserted
            raise ValueError(f"unsafe reference name {ref!r}")
        self.used.add(ref)
        return ref


@dataclass
class Level:
    path: tuple[str, ...]
    workflow: str
    graph: Graph
    schedule: Schedule
    structured: Structured
    node_types: dict[str, str] = field(default_factory=dict)
    special_types: dict[str, str] = field(default_factory=dict)
    send_keys: dict[str, str] = field(default_factory=dict)
    children: dict[str, str] = field(default_factory=dict)
    """Subgraph node name → its level's workflow name."""

    def __post_init__(self) -> None:
        self.nodes = {n.name: n for n in self.graph.nodes}
        self.blocks: dict[int, Block] = {b.id: b for b in self.schedule.blocks}
        self.preds: dict[int, set[int]] = {b.id: set() for b in self.schedule.blocks}
        self.preds[END_ID] = set()
        for b in self.schedule.blocks:
            for s in b.succ:
                self.preds[s].add(b.id)


@dataclass
class Layout:
    plan_id: str
    levels: dict[tuple[str, ...], Level]
    task_kinds: dict[str, dict[str, Any]]
    report: list[str]

    @property
    def root(self) -> Level:
        return self.levels[()]


def plan_id(wf: Workflow) -> str:
    """Identity of what a workflow runs (``agentc.ir.fingerprint``): the IR without source
    positions, so a worker restarted elsewhere, or after a comment was added above a
    node, still serves its runs."""
    return fingerprint(wf)


def layout(wf: Workflow) -> Layout:
    lay = Layout(plan_id(wf), {}, {}, [])
    _level(wf, lay, (), slug(wf.name), wf.graph)
    return lay


def _level(wf: Workflow, lay: Layout, path: tuple[str, ...], name: str, graph: Graph) -> Level:
    sched = build(graph)
    st = structure(sched)
    level = Level(path, name, graph, sched, st)
    lay.levels[path] = level
    _refuse(level)
    taken = set(lay.task_kinds)
    for n in sorted(level.nodes):
        if isinstance(level.nodes[n], SubgraphNode):
            continue
        t = base = f"{name}-{slug(n)}"
        k = 1
        while t in taken:
            k += 1
            t = f"{base}-{k}"
        taken.add(t)
        level.node_types[n] = t
        lay.task_kinds[t] = {"kind": "node", "path": list(path), "node": n}
    for kind in ("start", "barrier", "end"):
        t = f"{name}-_{kind}"
        level.special_types[kind] = t
        lay.task_kinds[t] = {"kind": kind, "path": list(path)}
    for n in sorted({t for b in level.blocks.values() for t in b.push}):
        level.send_keys[n] = slug(n) + "_" + hashlib.sha256(n.encode()).hexdigest()[:6]
    where = "graph " + " > ".join((wf.name, *path))
    if st.mode == "dispatcher":
        lay.report.append(
            f"{where}: dispatcher loop ({st.reason}); {len(sched.blocks)} superstep schedules"
        )
    else:
        dup = {b: n for b, n in st.runs.items() if n > 1}
        lay.report.append(
            f"{where}: structured; {len(sched.blocks)} superstep schedules"
            + (f"; blocks laid out more than once: {dup}" if dup else "")
        )
    for n in sorted(level.nodes):
        node = level.nodes[n]
        if isinstance(node, SubgraphNode):
            child = f"{name}-{slug(n)}"
            level.children[n] = child
            _level(wf, lay, (*path, n), child, node.graph)
    return level


def _refuse(level: Level) -> None:
    for b in level.blocks.values():
        for t in b.push:
            node = level.nodes[t]
            if isinstance(node, SubgraphNode) or node.interrupts:
                raise AgentcError(
                    Code.UNSUPPORTED,
                    f"node {t!r} receives Send packets and is a subgraph or calls interrupt()",
                    construct=f"Send({t!r}, ...)",
                    source=node.source,
                    hint="the conductor and temporal targets run Send targets as parallel leaf "
                    "steps, "
                    "which cannot pause or nest; use the local target for this graph",
                )
