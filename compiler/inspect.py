"""Human views of the IR: a text summary and a Mermaid flowchart."""
from __future__ import annotations

import re

from .ir import END, START, Graph, SubgraphNode, Workflow


def _where(src: object) -> str:
    return f"{src.file}:{src.line}" if src is not None else "?"  # type: ignore[attr-defined]


def summary(wf: Workflow) -> str:
    lines = [f"workflow {wf.name}  (IR {wf.ir_version}, frontend {wf.frontend}, entry {wf.entry})"]
    if wf.graph is not None:
        _graph_summary(wf.graph, lines, "")
    else:
        _agents_summary(wf, lines)
    for w in wf.warnings:
        lines.append(f"warning[{w['code']}]: {w['message']}")
    return "\n".join(lines)


def _graph_summary(g: Graph, lines: list[str], indent: str) -> None:
    lines.append(f"{indent}state {g.state.name} ({g.state.kind}); input {list(g.input_schema.keys)}; "
                 f"output {list(g.output_schema.keys)}; recursion_limit {g.recursion_limit}")
    for c in g.channels:
        extra = f" reducer={c.builtin or c.reducer.qualname or '/'.join(c.reducer.locator)}" if c.kind == "reducer" else ""
        lines.append(f"{indent}  channel {c.name}: {c.kind}{extra}")
    for n in g.nodes:
        flags = [f for f, on in (("defer", n.defer), ("retry", bool(n.retry)),
                                 ("interrupt", bool(n.interrupts))) if on]
        if n.destinations:
            flags.append("goto->" + ",".join(n.destinations))
        lines.append(f"{indent}  node {n.name} [{n.kind}] at {_where(n.source)}" + (f" ({', '.join(flags)})" if flags else ""))
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
        lines.append(f"{indent}  breakpoints before={list(g.interrupt_before)} after={list(g.interrupt_after)}")


def _agents_summary(wf: Workflow, lines: list[str]) -> None:
    system = wf.agents
    lines.append(f"start agent {system.start!r}; max_turns {system.max_turns}")
    for a in system.agents:
        lines.append(f"  agent {a.name!r}: model {a.model or 'default'}, instructions {a.instructions}, "
                     f"output {a.output_type or 'str'}, tool_use_behavior {a.tool_use_behavior}")
        for t in a.tools:
            extra = f" -> agent {t.agent!r}" if t.agent else ""
            if t.needs_approval != "never":
                extra += f" (needs approval: {t.needs_approval})"
            lines.append(f"    tool {t.name} [{t.kind}]{extra}")
        for h in a.handoffs:
            lines.append(f"    handoff {h.tool_name} -> {h.target or '? (custom Handoff)'}")
        for g in a.input_guardrails:
            lines.append(f"    input guardrail {g.name}" + ("" if g.run_in_parallel else " (blocking)"))
        for g in a.output_guardrails:
            lines.append(f"    output guardrail {g.name}")


def _id(prefix: str, name: str) -> str:
    return prefix + re.sub(r"[^A-Za-z0-9_]", "_", name)


def _label(text: str) -> str:
    return text.replace('"', "#quot;")


def mermaid(wf: Workflow) -> str:
    lines = ["flowchart TD"]
    if wf.graph is not None:
        _graph_mermaid(wf.graph, lines, "", "  ")
        return "\n".join(lines)
    for a in wf.agents.agents:
        lines.append(f'  {_id("a_", a.name)}["{_label(a.name)}"]')
        for t in a.tools:
            if t.agent:
                lines.append(f'  {_id("a_", a.name)} -. "{_label(t.name)}" .-> {_id("a_", t.agent)}')
        for h in a.handoffs:
            if h.target:
                lines.append(f'  {_id("a_", a.name)} -->|handoff| {_id("a_", h.target)}')
    return "\n".join(lines)


def _graph_mermaid(g: Graph, lines: list[str], prefix: str, ind: str) -> None:
    s, e = _id(prefix, START), _id(prefix, END)
    lines.append(f'{ind}{s}(["start"])')
    lines.append(f'{ind}{e}(["end"])')
    for n in g.nodes:
        nid = _id(prefix, n.name)
        if isinstance(n, SubgraphNode):
            lines.append(f'{ind}subgraph {nid}["{_label(n.name)}"]')
            _graph_mermaid(n.graph, lines, nid + "__", ind + "  ")
            lines.append(f"{ind}end")
        else:
            shape = f'{nid}{{{{"{_label(n.name)}"}}}}' if n.interrupts else f'{nid}["{_label(n.name)}"]'
            lines.append(ind + shape)

    def ref(name: str) -> str:
        return s if name == START else e if name == END else _id(prefix, name)

    for ed in g.edges:
        lines.append(f"{ind}{ref(ed.source)} --> {ref(ed.target)}")
    for w in g.waiting_edges:
        for src in w.sources:
            lines.append(f"{ind}{ref(src)} -- join --> {ref(w.target)}")
    for b in g.branches:
        if b.targets is None:
            lines.append(f'{ind}{ref(b.source)} -. "{_label(b.name)}: any" .-> {e}')
            continue
        labels = {}
        for k, t in (b.path_map or {}).items():
            labels.setdefault(t, []).append(k)
        for t in b.targets:
            lab = ",".join(x for x in labels.get(t, []) if x != t) or b.name
            lines.append(f'{ind}{ref(b.source)} -. "{_label(lab)}" .-> {ref(t)}')
    for n in g.nodes:
        for d in n.destinations:
            lines.append(f'{ind}{ref(n.name)} -. "goto" .-> {ref(d)}')
