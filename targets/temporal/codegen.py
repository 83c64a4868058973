"""Layout → Python source of one Temporal workflow module per graph level.

The ``run`` method mirrors the structured plan: a ``Run`` of one node is ``await
self.step(...)``; nodes of one superstep are ``asyncio.gather`` then a ``barrier`` step that
merges their writes in LangGraph's order; ``Send`` is a parallel fan-out; ``Route`` is
``if``/``elif`` on the next schedule the step chose; ``Loop`` is ``while True`` (continuing
as new when history grows); ``Dispatch`` is a ``while`` over the next schedule; a subgraph
is a child workflow. Every identifier is ours (``[A-Za-z0-9_]``), every user-derived string
is written with ``repr`` — a Python literal — so no name or string from user code can
inject code, and the output is deterministic.
"""

from __future__ import annotations

import keyword
from typing import Any, Callable

from agentc.ir import SubgraphNode
from agentc.plan.layout import Layout, Level, Refs, slug
from agentc.plan.schedule import END_ID
from agentc.plan.structure import Dispatch, Item, Loop, Route, Run
from agentc.runtime_shims import node_timeouts

from agentc.targets.fanout_blocks import branch_fan

TIMEOUT_S = 3600
UNBOUNDED_S = 3650 * 86400
"""``start_to_close_timeout`` of a node bounded only by its idle limit (its heartbeat
timeout catches a worker that cannot report)."""
INDENT = "    "


def format_source(text: str) -> str:
    """ruff's formatter (a pinned dependency, so output is byte-identical everywhere)."""
    import subprocess

    from ruff.__main__ import find_ruff_bin  # the binary itself: no interpreter start-up

    r = subprocess.run(
        [find_ruff_bin(), "format", "--isolated", "--line-length", "120", "-"],
        input=text,
        capture_output=True,
        text=True,
    )
    if r.returncode != 0:
        raise RuntimeError(f"agentc generated code ruff cannot format (an agentc bug): {r.stderr}")
    return r.stdout


_ENV = None


def _template(name: str = "workflow.py.jinja2") -> Any:
    """A module skeleton from templates/ (graphs: workflow.py.jinja2, agent systems:
    agents.py.jinja2). Filters: ``py`` writes any value as a Python literal (``repr``),
    ``doc`` makes text safe inside a docstring; user text reaches templates only through
    them."""
    global _ENV
    if _ENV is None:
        import jinja2

        _ENV = jinja2.Environment(
            loader=jinja2.PackageLoader("agentc.targets.temporal", "templates"),
            autoescape=False,
            keep_trailing_newline=True,
            undefined=jinja2.StrictUndefined,
        )
        _ENV.filters["py"] = repr
        _ENV.filters["doc"] = doc_text
    return _ENV.get_template(name)


def policy(
    timeout: float = TIMEOUT_S,
    initial: float = 1.0,
    backoff: float = 2.0,
    maximum: float = 60.0,
    attempts: int = 0,
    heartbeat: float | None = None,
) -> str:
    """Activity options as Python source: an explicit timeout and a retry policy
    (``attempts``: Temporal's ``maximum_attempts``, 0 for the worker to decide;
    ``heartbeat``: a heartbeat timeout, for a node with an idle limit)."""
    cap = f", {int(attempts)!r}" if attempts else ""
    retry = f"retry({float(initial)!r}, {float(backoff)!r}, {float(maximum)!r}{cap})"
    beat = f'"heartbeat_timeout": timedelta(seconds={float(heartbeat)!r}), ' if heartbeat else ""
    return (
        '{"start_to_close_timeout": '
        + f"timedelta(seconds={float(timeout)!r}), "
        + beat
        + f'"retry_policy": {retry}}}'
    )


def agents_module(wf: Any, lay: Any) -> str:
    """The module of an agent system: one workflow class per agent loop (the entry agent,
    and each agent used as a tool)."""
    from agentc.plan.agent_saga import compensable_tools

    loops = [
        {
            "workflow_type": lay.workflow,
            "class_name": class_name(lay.workflow),
            "root": True,
            "doc": f"The agent loop of {wf.agents.start!r} (entry {wf.entry!r}).",
            "saga": bool(compensable_tools(wf)),
        }
    ]  # compensates its tools' effects (docs/effects.md)
    for (agent, tool), name in sorted(lay.agent_tools.items(), key=lambda kv: kv[1]):
        loops.append(
            {
                "workflow_type": name,
                "class_name": class_name(name),
                "root": False,
                "doc": f"Agent {agent!r}'s tool {tool!r}: an agent run as a tool, as a child "
                "workflow.",
                "saga": False,
            }
        )  # its compensable tools are refused (AC200, docs/effects.md)
    from agentc.policies import step_timeout

    timed = sorted(
        (ty, policy(float(t)))
        for (_, tool), ty in lay.tool_types.items()  # docs/policies.md "Timeouts"
        if (t := step_timeout(wf, tool)) is not None
    )
    return format_source(
        _template("agents.py.jinja2").render(
            title=f"Temporal workflows for OpenAI Agents SDK agent system {wf.name!r} (entry "
            f"{wf.entry!r}).",
            plan=lay.plan_id,
            model_type=lay.model_type,
            default_policy=policy(),
            loops=loops,
            timed=timed,
            step_types=sorted(t for t in lay.task_kinds if t != lay.model_type),
        )
    )


def class_name(workflow: str) -> str:
    name = "".join(p[:1].upper() + p[1:] for p in slug(workflow).split("_")) or "Graph"
    if name[0].isdigit() or keyword.iskeyword(name):
        name = "Graph" + name
    return name + "Workflow"


def module_name(workflow: str) -> str:
    return "agentc_" + slug(workflow).lower() + "_workflow"


class _Lines:
    """Source lines whose text may depend on later facts (resolved by ``render``)."""

    def __init__(self) -> None:
        self.items: list[tuple[int, str | Callable[[], str]]] = []

    def add(self, depth: int, text: str | Callable[[], str]) -> None:
        self.items.append((depth, text))

    def render(self) -> str:
        out = []
        for depth, text in self.items:
            t = text() if callable(text) else text
            out.append((INDENT * depth + t) if t else "")
        return "\n".join(out) + "\n"


def doc_text(s: str) -> str:
    """Any text, safe inside a triple-quoted docstring."""
    return s.replace("\\", "\\\\").replace('"', '\\"')


def _list(refs: list[str]) -> str:
    return "[" + ", ".join(repr(r) for r in refs) + "]"


class ModuleWriter:
    def __init__(self, wf: Any, lay: Layout, level: Level) -> None:
        self.wf, self.lay, self.level = wf, lay, level
        self.refs = Refs()
        self.finals: dict[int, list[str]] = {}
        self._last: list[str] = []
        """The refs of the step(s) that just ran: what a following ``Route`` switches on."""
        self.lines = _Lines()
        self.top_loops = any(isinstance(i, (Loop, Dispatch)) for i in level.structured.items)

    # ------------------------------------------------------------ facts
    def prev(self, block: int) -> Callable[[], str]:
        def text() -> list[str]:
            refs: list[str] = []
            for p in sorted(self.level.preds[block]):
                if p == 0 and not self.finals.get(0):
                    refs.append("_input")
                refs.extend(self.finals.get(p, []))
            return refs

        return lambda: _list(text())

    # ------------------------------------------------------------ module
    def source(self) -> str:
        lv = self.level
        body = _Lines()
        self.lines = body
        for i, item in enumerate(lv.structured.items):
            if self.top_loops:
                body.add(2, f"if self.at <= {i}:")
                self.item(item, 3, top=i)
            else:
                self.item(item, 2, top=None)
        end = self.refs.take("end")
        body.add(
            2,
            lambda: (
                f"return await self.end({end!r}, {lv.special_types['end']!r}, "
                f"{self.prev(END_ID)()})"
            ),
        )
        text = body.render()
        return self._head(uses_gather="asyncio.gather" in text).rstrip("\n") + "\n" + text

    def _head(self, uses_gather: bool) -> str:
        lv, wf = self.level, self.wf
        default = self._policy(None)
        policies = []
        for n in sorted(lv.node_types):
            p = self._policy(lv.nodes[n])
            policies.append((lv.node_types[n], "DEFAULT_POLICY" if p == default else p))
        policies += [(lv.special_types[k], "DEFAULT_POLICY") for k in sorted(lv.special_types)]
        return _template().render(
            title=f"Temporal workflow for LangGraph graph {' > '.join((wf.name, *lv.path))!r} "
            f"(entry {wf.entry!r}).",
            uses_gather=uses_gather,
            plan=self.lay.plan_id,
            default_policy=default,
            policies=policies,
            workflow_type=lv.workflow,
            class_name=class_name(lv.workflow),
            doc=self._doc(),
            root=not lv.path,
            uses_context=self.wf.graph.context_schema is not None,
            body="",
            saga=self._saga(),
        )

    def _saga(self) -> bool:
        """The root workflow is a saga when the graph has compensable nodes (docs/effects.md)."""
        comp = {e.name for e in self.wf.effects if e.kind == "compensable"}
        nested = sorted(comp & set(self.level.nodes)) if self.level.path else []
        if nested:
            from agentc.errors import AgentcError, Code

            raise AgentcError(
                Code.UNSUPPORTED,
                f"compensable node {nested[0]!r} inside a subgraph: the Temporal "
                "target compensates the root graph's nodes only",
                construct=f"node {nested[0]!r}",
                hint="run it on the local target, or make the node keyed (docs/effects.md)",
            )
        return bool(comp) and not self.level.path

    def _doc(self) -> str:
        lv = self.level
        return (
            f"Graph {lv.graph.name!r}: {len(lv.nodes)} nodes, {len(lv.schedule.blocks)} superstep "
            f"schedules, {lv.structured.mode} layout."
        )

    def _policy(self, node: Any) -> str:
        timeout = TIMEOUT_S
        initial, backoff, maximum = 1.0, 2.0, 60.0
        if node is not None and node.retry:
            p = max(node.retry, key=lambda r: r.max_attempts)
            initial, backoff, maximum = p.initial_interval, p.backoff_factor, p.max_interval
        root = not self.level.path
        engine = (
            node_timeouts.engine_timeout(self.wf, node.name, node, root)
            if node is not None
            else None
        )
        beat = (
            node_timeouts.heartbeat_timeout(self.wf, node.name, node, root)
            if node is not None
            else None
        )
        if engine or beat:  # the worker bounds each attempt; the engine only catches one that
            # cannot report (run: past the limit; idle: no progress heartbeat), a bounded number
            # of times (LangGraph's attempts, plus one for a lost worker). A node with only an
            # idle limit may run as long as it makes progress (docs/policies.md "Node timeouts")
            attempts = max((r.max_attempts for r in node.retry), default=1) + 1
            return policy(engine or UNBOUNDED_S, initial, backoff, maximum, attempts, beat)
        return policy(timeout, initial, backoff, maximum)

    # ------------------------------------------------------------ items
    def item(self, item: Item, d: int, top: int | None) -> None:
        getattr(self, "_" + type(item).__name__.lower())(item, d, top)

    def _run(self, item: Run, d: int, top: int | None) -> None:
        lv, L = self.level, self.lines
        b = lv.blocks[item.block]
        if item.block == 0:
            if len(b.succ) > 1:
                ref = self.refs.take("start")
                self.finals.setdefault(0, []).append(ref)
                L.add(d, f"await self.start({ref!r}, {lv.special_types['start']!r})")
                self._last = [ref]  # START's routers chose the first step: a Route may follow
            elif top is not None:
                L.add(d, "pass  # START: the first step reads the run's input")
            return
        if {*b.pull, *b.push} & set(lv.graph.interrupt_before):  # Send targets too, as LangGraph
            ref = self.refs.take(f"pause_before_b{b.id}")
            L.add(d, f"await self.pause({ref!r}, 'before', {_list(sorted({*b.pull, *b.push}))})")
        prev = self.prev(b.id)
        if b.single:
            ref, call = self._node_call(b.pull[0], prev)
            L.add(d, lambda c=call: f"await {c()}")
            finals = [ref]
        else:
            calls, parts, specs = [], [], []
            for n in b.pull:
                ref, call = self._node_call(n, prev)
                calls.append(call)
                parts.append(ref)
                specs.append(self._branch_spec(n, ref, prev))
            for t in b.push:
                ref = self.refs.take(f"send_{t}_b{b.id}")
                key = lv.send_keys[t]
                calls.append(
                    lambda r=ref, k=key, b=b.id: f"self.sends({r!r}, {k!r}, {self.prev(b)()})"
                )
                parts.append(ref)
            fan = branch_fan(
                self.wf, lv, b
            )  # a fan-out policy: runtime_shims/temporal_branch_fanout.py
            if fan is not None:
                L.add(
                    d,
                    lambda s=specs: f"await self.branches({fan!r}, [{', '.join(x() for x in s)}])",
                )
            else:
                L.add(d, "await asyncio.gather(")
                for c in calls:
                    L.add(d + 1, lambda c=c: c() + ",")
                L.add(d, ")")
            merge = self.refs.take(f"merge_b{b.id}")
            L.add(
                d,
                lambda m=merge, p=parts: (
                    f"await self.barrier({m!r}, {lv.special_types['barrier']!r}, "
                    f"{prev()}, {_list(p)})"
                ),
            )
            finals = [merge]
        # after the run's last step LangGraph's run is finished: no pause (nothing to resume)
        if set(b.pull) & set(lv.graph.interrupt_after) and any(s != END_ID for s in b.succ):
            ref = self.refs.take(f"pause_after_b{b.id}")
            L.add(d, f"await self.pause({ref!r}, 'after', {_list(list(b.pull))})")
        self.finals.setdefault(b.id, []).extend(finals)
        self._last = finals

    def _node_call(self, name: str, prev: Callable[[], str]) -> tuple[str, Callable[[], str]]:
        lv = self.level
        ref = self.refs.take(name)
        if isinstance(lv.nodes[name], SubgraphNode):
            child = lv.children[name]
            return ref, lambda: f"self.child({ref!r}, {child!r}, {prev()})"
        return ref, lambda: f"self.step({ref!r}, {lv.node_types[name]!r}, {prev()})"

    def _branch_spec(self, name: str, ref: str, prev: Callable[[], str]) -> Callable[[], str]:
        """``[ref, task or workflow type, prev refs, kind]`` of a governed parallel branch."""
        lv = self.level
        if isinstance(lv.nodes[name], SubgraphNode):
            return lambda: f"[{ref!r}, {lv.children[name]!r}, {prev()}, 'child']"
        return lambda: f"[{ref!r}, {lv.node_types[name]!r}, {prev()}, 'step']"

    def _route(self, item: Route, d: int, top: int | None) -> None:
        last = list(self._last)
        self.lines.add(d, f"nxt = self.next_of({_list(last)})")
        for i, (key, body) in enumerate(item.cases):
            self.lines.add(d, f"{'if' if i == 0 else 'elif'} nxt == {key}:")
            self._body(body, d + 1)
        self._last = []

    def _loop(self, item: Loop, d: int, top: int | None) -> None:
        L = self.lines
        L.add(d, f"while True:  # loop at superstep schedule {item.header}")
        if top is not None:
            L.add(d + 1, f"self.checkpoint({top})")
        self._body(item.body, d + 1)
        members = item.members
        L.add(
            d + 1,
            lambda: (
                f"if self.next_of({_list([r for m in members for r in self.finals.get(m, [])])}) "
                f"!= {item.header}:"
            ),
        )
        L.add(d + 2, "break")
        self._last = [r for m in members for r in self.finals.get(m, [])]

    def _dispatch(self, item: Dispatch, d: int, top: int | None) -> None:
        L = self.lines
        everything = lambda: [r for b in (0, *item.blocks) for r in self.finals.get(b, [])]  # noqa: E731
        L.add(d, lambda: f"nxt = self.next_of({_list(everything())})")
        L.add(d, f"nxt = {item.first} if nxt is None else nxt")
        L.add(d, "while nxt != -1:  # dispatcher: the graph has no structured form")
        if top is not None:
            L.add(d + 1, f"self.checkpoint({top})")
        for i, b in enumerate(item.blocks):
            L.add(d + 1, f"{'if' if i == 0 else 'elif'} nxt == {b}:")
            self._run(Run(b), d + 2, None)
        L.add(d + 1, lambda: f"nxt = self.next_of({_list(everything())})")
        self._last = []

    def _body(self, items: tuple[Item, ...], d: int) -> None:
        start = len(self.lines.items)
        for it in items:
            self.item(it, d, None)
        if len(self.lines.items) == start:
            self.lines.add(d, "pass")
