"""Human views of the IR: a text summary and a Mermaid flowchart."""

from __future__ import annotations

import re

from .ir import END, START, AgentProgram, Graph, GraphProgram, RunnableNode, SubgraphNode, Workflow
from .ir.model import AgentRunOptions


def _where(src: object) -> str:
    return f"{src.file}:{src.line}" if src is not None else "?"  # type: ignore[attr-defined]


def summary(wf: Workflow) -> str:
    lines = [f"workflow {wf.name}  (IR {wf.ir_version}, frontend {wf.frontend}, entry {wf.entry})"]
    match wf.body:
        case GraphProgram(graph=graph):
            _graph_summary(graph, lines, "")
        case AgentProgram():
            _agents_summary(wf, lines)
    from .policies import policy_lines

    lines.extend(policy_lines(wf))  # docs/policies.md
    for w in wf.warnings:
        lines.append(f"warning[{w['code']}]: {w['message']}")
    return "\n".join(lines)


def _graph_summary(g: Graph, lines: list[str], indent: str) -> None:
    lines.append(
        f"{indent}state {g.state.name} ({g.state.kind}); input {list(g.input_schema.keys)}; "
        f"output {list(g.output_schema.keys)}; recursion_limit {g.recursion_limit}"
    )
    for c in g.channels:
        extra = (
            f" reducer={c.builtin or c.reducer.qualname or '/'.join(c.reducer.locator)}"
            if c.kind == "reducer"
            else ""
        )
        lines.append(f"{indent}  channel {c.name}: {c.kind}{extra}")
    for n in g.nodes:
        retry_on = sorted({name for r in n.retry for name in r.retry_on_names})
        flags = [
            f
            for f, on in (
                ("defer", n.defer),
                ("retry" + (f" on {'|'.join(retry_on)}" if retry_on else ""), bool(n.retry)),
                ("interrupt", bool(n.interrupts)),
            )
            if on
        ]
        if n.destinations:
            flags.append("goto->" + ",".join(n.destinations))
        kind = f"{n.kind}: {n.runnable_type}" if isinstance(n, RunnableNode) else n.kind
        lines.append(
            f"{indent}  node {n.name} [{kind}] at {_where(n.source)}"
            + (f" ({', '.join(flags)})" if flags else "")
        )
        if isinstance(n, SubgraphNode):
            _graph_summary(n.graph, lines, indent + "    ")
    for e in g.edges:
        lines.append(f"{indent}  edge {e.source} -> {e.target}")
    for w in g.waiting_edges:
        lines.append(f"{indent}  join {' + '.join(w.sources)} -> {w.target}")
    for b in g.branches:
        targets = ", ".join(b.targets) if b.targets is not None else "ANY NODE (dynamic)"
        lines.append(f"{indent}  branch {b.source} --{b.name}()--> {targets}")
    if g.interrupt_before or g.interrupt_after:
        lines.append(
            f"{indent}  breakpoints before={list(g.interrupt_before)} "
            f"after={list(g.interrupt_after)}"
        )


def _agents_summary(wf: Workflow, lines: list[str]) -> None:
    system = wf.agents
    lines.append(f"start agent {system.start!r}; max_turns {system.max_turns}")
    if system.run is not None:
        lines.append("  Runner.run " + _run_options(system.run))
    for a in system.agents:
        settings = f", model_settings {sorted(a.model_settings)}" if a.model_settings else ""
        reset = "" if a.reset_tool_choice else ", reset_tool_choice off"
        lines.append(
            f"  agent {a.name!r}: model {a.model or 'default'}, instructions {a.instructions}, "
            f"output {a.output_type or 'str'}, tool_use_behavior "
            f"{a.tool_use_behavior}{settings}{reset}"
        )
        for t in a.tools:
            extra = f" -> agent {t.agent!r}" if t.agent else ""
            if t.needs_approval != "never":
                extra += f" (needs approval: {t.needs_approval})"
            lines.append(f"    tool {t.name} [{t.kind}]{extra}")
        for h in a.handoffs:
            flags = [
                f
                for f, on in (
                    ("input_filter", h.input_filter),
                    ("on_handoff", h.on_handoff),
                    (f"nest_history={h.nest_history}", h.nest_history is not None),
                )
                if on
            ]
            lines.append(
                f"    handoff {h.tool_name} -> {h.target or '? (custom Handoff)'}"
                + (f" ({', '.join(flags)})" if flags else "")
            )
        for g in a.input_guardrails:
            lines.append(
                f"    input guardrail {g.name}" + ("" if g.run_in_parallel else " (blocking)")
            )
        for g in a.output_guardrails:
            lines.append(f"    output guardrail {g.name}")


def _run_options(run: AgentRunOptions) -> str:
    """``Runner.run``'s options as the IR names them (docs/openai-agents.md)."""
    parts = [
        f"{k} {v}"
        for k, v in (("run_config", run.run_config), ("hooks", run.hooks), ("session", run.session))
        if v
    ]
    if run.settings:
        parts.append(f"settings {sorted(run.settings)}")
    if run.error_handlers:
        parts.append(f"error_handlers {run.error_handlers} for {sorted(run.error_kinds)}")
    parts += [
        f"{kind} guardrail {g.name}"
        for kind, gs in (("input", run.input_guardrails), ("output", run.output_guardrails))
        for g in gs
    ]
    return "; ".join(parts) or "defaults"


class _Ids:
    """Mermaid node ids: ``[A-Za-z0-9_]`` only, behind a prefix (so a node named ``end``,
    ``graph``, ``class``, ``style``, ``click`` or ``subgraph`` never becomes a keyword), and
    unique (two names that sanitize alike, ``a-b`` and ``a_b``, get ``_2`` suffixes in
    drawing order). The user's names appear only in quoted labels (``_label``)."""

    def __init__(self) -> None:
        self.ids: dict[tuple[str, str], str] = {}
        self.used: set[str] = set()

    def __call__(self, scope: str, name: str, prefix: str = "n_") -> str:
        key = (scope, prefix + name)
        if key not in self.ids:
            base = scope + prefix + re.sub(r"[^A-Za-z0-9_]", "_", name)
            nid, k = base, 1
            while nid in self.used:
                k += 1
                nid = f"{base}_{k}"
            self.used.add(nid)
            self.ids[key] = nid
        return self.ids[key]


_ENTITIES = {
    '"': "#quot;",
    "#": "#35;",
    "<": "#lt;",
    ">": "#gt;",
    "`": "#96;",
    "\n": " ",
    "\r": " ",
}


def _label(text: str) -> str:
    """Text for a quoted Mermaid label: quotes and the characters Mermaid or HTML would
    interpret become entity codes (``#`` first: it starts one)."""
    return '"' + "".join(_ENTITIES.get(c, c) for c in text) + '"'


def mermaid(wf: Workflow) -> str:
    """A Mermaid flowchart (docs/ir.md "Mermaid"): graph nodes and edges, or the agents
    with their tools, handoffs, agents-as-tools and guardrails."""
    lines = ["flowchart TD"]
    ids = _Ids()
    match wf.body:
        case GraphProgram(graph=graph):
            _graph_mermaid(graph, lines, ids, "", "  ")
        case AgentProgram():
            _agents_mermaid(wf, lines, ids)
    return "\n".join(lines)


def _agents_mermaid(wf: Workflow, lines: list[str], ids: _Ids) -> None:
    system = wf.agents
    agent = {a.name: ids("", a.name, "a_") for a in system.agents}

    def target(name: str | None) -> str:
        if name in agent:
            return agent[name]
        tid = ids("", "any agent", "x_")
        if not any(line.startswith(f"  {tid}(") for line in lines):
            lines.append(f"  {tid}([{_label('any agent (chosen at run time)')}])")
        return tid

    start = ids("", "start", "s_")
    lines.append(f"  {start}([{_label('start')}])")
    lines.extend(f"  {agent[a.name]}[{_label('agent ' + a.name)}]" for a in system.agents)
    lines.append(f"  {start} --> {agent[system.start]}")
    for a in system.agents:
        me, scope = agent[a.name], agent[a.name] + "_"
        for g in a.input_guardrails:
            gid = ids(scope, g.name, "gi_")
            note = "" if g.run_in_parallel else " (blocking)"
            lines.append(f"  {gid}{{{{{_label('input guardrail ' + g.name + note)}}}}}")
            lines.append(f"  {gid} -.->|{_label('checks input')}| {me}")
        for t in a.tools:
            extra = " (needs approval)" if t.needs_approval != "never" else ""
            if t.input_guardrails or t.output_guardrails:
                extra += (
                    " (guardrails: " + ", ".join((*t.input_guardrails, *t.output_guardrails)) + ")"
                )
            if t.kind == "agent" and t.agent:
                lines.append(
                    f"  {me} -.->|{_label('as tool ' + t.name + extra)}| {target(t.agent)}"
                )
                continue
            tid = ids(scope, t.name, "t_")
            lines.append(f"  {tid}[[{_label(f'{t.kind} tool {t.name}{extra}')}]]")
            lines.append(f"  {me} -.->|{_label('calls')}| {tid}")
        for h in a.handoffs:
            lines.append(f"  {me} -->|{_label('handoff ' + h.tool_name)}| {target(h.target)}")
        for g in a.output_guardrails:
            gid = ids(scope, g.name, "go_")
            lines.append(f"  {gid}{{{{{_label('output guardrail ' + g.name)}}}}}")
            lines.append(f"  {me} -.->|{_label('final output')}| {gid}")


def _graph_mermaid(g: Graph, lines: list[str], ids: _Ids, scope: str, ind: str) -> None:
    s, e = ids(scope, START, "s_"), ids(scope, END, "s_")
    lines.append(f"{ind}{s}([{_label('start')}])")
    lines.append(f"{ind}{e}([{_label('end')}])")
    for n in g.nodes:
        nid = ids(scope, n.name)
        if isinstance(n, SubgraphNode):
            lines.append(f"{ind}subgraph {nid}[{_label(n.name)}]")
            _graph_mermaid(n.graph, lines, ids, nid + "__", ind + "  ")
            lines.append(f"{ind}end")
        else:
            lines.append(
                ind
                + (f"{nid}{{{{{_label(n.name)}}}}}" if n.interrupts else f"{nid}[{_label(n.name)}]")
            )

    def ref(name: str) -> str:
        return s if name == START else e if name == END else ids(scope, name)

    def any_node() -> str:
        """Where a branch with no declared targets points: one marked "any node" box."""
        aid = ids(scope, "any node", "x_")
        if not any(line == f"{ind}{aid}([{_label('any node')}])" for line in lines):
            lines.append(f"{ind}{aid}([{_label('any node')}])")
        return aid

    for ed in g.edges:
        lines.append(f"{ind}{ref(ed.source)} --> {ref(ed.target)}")
    for w in g.waiting_edges:
        for src in w.sources:
            lines.append(f"{ind}{ref(src)} -->|{_label('join')}| {ref(w.target)}")
    for b in g.branches:
        if b.targets is None:
            lines.append(f"{ind}{ref(b.source)} -.->|{_label(b.name + ': any node')}| {any_node()}")
            continue
        labels: dict[str, list[str]] = {}
        for k, t in (b.path_map or {}).items():
            labels.setdefault(t, []).append(k)
        for t in b.targets:
            lab = ",".join(x for x in labels.get(t, []) if x != t) or b.name
            lines.append(f"{ind}{ref(b.source)} -.->|{_label(lab)}| {ref(t)}")
    for n in g.nodes:
        for d in n.destinations:
            lines.append(f"{ind}{ref(n.name)} -.->|{_label('goto')}| {ref(d)}")
