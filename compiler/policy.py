"""The effect policy: which nodes and tools have side effects, and how each may be repeated
and undone (docs/effects.md).

Declared outside the business logic, in one of three places (first match wins per name):

1. ``--policy FILE`` (TOML), a top-level ``[effects]`` table;
2. ``[tool.agentc.effects]`` in the ``pyproject.toml`` of the working directory (read only
   when no ``--policy`` is given);
3. the ``@agentc.effect(...)`` decorator on a node function or function tool.

Each entry is keyed by a node name (LangGraph) or a function-tool name (OpenAI Agents)::

    [effects.charge_card]
    class = "compensable"
    compensator = "myapp.payments:refund"
    # reserved for the policies feature, refused today: deny, require_approval,
    # max_calls, timeout

    [effects]
    lookup_weather = "pure"          # shorthand: just the class

One table per name is where later per-name policies (deny, require_approval, max_calls,
timeouts) will live next to ``class``: they are reserved words now, so a policy written
for a later agentc is refused loudly instead of being silently ignored.

Bad input (an unknown name, class or key, a compensator REF that does not import) is an
``AgentcError`` (AC404) with the policy file's line; nothing is compiled or run.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .errors import AgentcError, Code, Diagnostic, ErrorLevel, Warnings
from .ir import model as M

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CLASSES = ("pure", "idempotent", "keyed", "at_most_once", "compensable")
RESERVED = ("deny", "require_approval", "max_calls", "timeout")
"""Per-name policy keys of a later agentc: refused today, never ignored."""
MODELS = {
    "pure": M.PureEffect,
    "idempotent": M.IdempotentEffect,
    "keyed": M.KeyedEffect,
    "at_most_once": M.AtMostOnceEffect,
    "compensable": M.CompensableEffect,
}
DECORATOR_ATTR = "__agentc_effect__"


def effect(kind: str, *, compensator: str | None = None) -> Any:
    """``@agentc.effect("compensable", compensator="myapp.payments:refund")`` on a node
    function, or above ``@function_tool`` on a tool: the same entry as in a policy file.
    The policy file wins over the decorator for the same name."""

    def mark(obj: Any) -> Any:
        object.__setattr__(obj, DECORATOR_ATTR, {"class": kind, "compensator": compensator})
        return obj

    return mark


class _Entry:
    def __init__(
        self, name: str, body: Any, file: str | None, line: int | None, qualname: str = ""
    ) -> None:
        self.name, self.body, self.file, self.line, self.qualname = name, body, file, line, qualname

    def fail(self, message: str, hint: str) -> AgentcError:
        return AgentcError(
            Code.EFFECT_POLICY,
            message,
            construct=f"effects.{self.name}",
            file=self.file,
            line=self.line,
            hint=hint,
        )


def _read_toml(path: Path) -> tuple[dict[str, Any], str]:
    if not path.exists():
        raise AgentcError(
            Code.EFFECT_POLICY,
            f"policy file not found: {path}",
            construct="--policy",
            file=str(path),
            hint="pass an existing TOML file with an [effects] table",
        )
    text = path.read_text()
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None) or _lineno(str(exc))
        raise AgentcError(
            Code.EFFECT_POLICY,
            f"{path} is not valid TOML: {exc}",
            construct="--policy",
            file=str(path),
            line=line,
            hint="fix the TOML syntax",
        ) from None


def _lineno(message: str) -> int | None:
    found = re.search(r"line (\d+)", message)
    return int(found.group(1)) if found else None


def _key_lines(text: str, table: str) -> dict[str, int]:
    """The line where each entry of ``table`` (dotted, e.g. ``tool.agentc.effects``) is
    declared: its own ``[table.NAME]`` header, or its ``NAME = ...`` key inside ``[table]``
    (tomllib reports no positions, so this small scan finds them)."""
    lines: dict[str, int] = {}
    current = ""

    def norm(s: str) -> str:
        return ".".join(p.strip().strip('"').strip("'") for p in s.split("."))

    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        header = re.fullmatch(r"\[\s*([^\[\]]+?)\s*\]", line)
        if header:
            current = norm(header.group(1))
            if current.startswith(table + "."):
                lines.setdefault(current[len(table) + 1 :].split(".")[0], no)
            continue
        key = re.match(r"""^("[^"]+"|'[^']+'|[A-Za-z0-9_\-]+)\s*[.=]""", line)
        if key and current == table:
            lines.setdefault(key.group(1).strip("\"'"), no)
    return lines


def _file_entries(policy: str | Path | None, cwd: Path) -> list[_Entry]:
    if policy is not None:
        path = Path(policy)
        data, text = _read_toml(path)
        unknown = sorted(
            set(data) - {"effects", "policies"}
        )  # [policies]: agentc.policies reads it
        if unknown:
            raise AgentcError(
                Code.EFFECT_POLICY,
                f"unknown table [{unknown[0]}] in policy file {path}",
                construct=unknown[0],
                file=str(path),
                line=_key_lines(text, "").get(unknown[0]),
                hint="a policy file has an [effects] table (one entry per node or tool name) "
                "and [policies...] tables (docs/policies.md)",
            )
        table, dotted = data.get("effects", {}), "effects"
    else:
        path = cwd / "pyproject.toml"
        if not path.exists():
            return []
        data, text = _read_toml(path)
        table, dotted = (
            data.get("tool", {}).get("agentc", {}).get("effects", {}),
            "tool.agentc.effects",
        )
    if not isinstance(table, dict):
        raise AgentcError(
            Code.EFFECT_POLICY,
            f"[{dotted}] must be a table",
            file=str(path),
            construct=dotted,
            hint='e.g. [effects.charge_card] class = "keyed"',
        )
    lines = _key_lines(text, dotted)
    return [_Entry(name, body, str(path), lines.get(name)) for name, body in table.items()]


def _decorated(wf: M.Workflow, live: Any) -> list[_Entry]:
    """Entries from ``@agentc.effect`` on the workflow's node functions or tools."""
    found: list[_Entry] = []
    for name, obj in _callables(wf, live):
        mark = getattr(obj, DECORATOR_ATTR, None)
        if mark is None:
            inner = getattr(obj, "func", None)  # a RunnableCallable node wraps the function
            mark = getattr(inner, DECORATOR_ATTR, None) if inner is not None else None
        if isinstance(mark, dict):
            code = getattr(getattr(obj, "func", obj), "__code__", None)
            found.append(
                _Entry(
                    name,
                    {k: v for k, v in mark.items() if v is not None},
                    code.co_filename if code else None,
                    code.co_firstlineno if code else None,
                )
            )
    return found


def _callables(wf: M.Workflow, live: Any) -> Iterable[tuple[str, Any]]:
    if isinstance(wf.body, M.AgentProgram):
        from agentc.runtime_shims.openai_agents_replay import reachable_agents

        for agent in reachable_agents(live):
            for t in agent.tools:
                yield t.name, t
        return
    from agentc.semantics.langgraph_calls import Resolver

    resolve = Resolver(live)
    for graph in wf.graphs():
        for node in graph.nodes:
            call = getattr(node, "call", None)
            if call is not None and node.kind == "function":
                try:
                    found = resolve(call)
                except Exception:  # noqa: BLE001 - a node that cannot be found has no decorator to read
                    found = None
                if found is not None:
                    yield node.name, found


def names(wf: M.Workflow) -> dict[str, tuple[str, M.SourceRef | None]]:
    """What a policy may name: node names (``node``), function-tool names (``tool``)."""
    out: dict[str, tuple[str, M.SourceRef | None]] = {}
    if isinstance(wf.body, M.AgentProgram):
        for a in wf.body.system.agents:
            for t in a.tools:
                if t.kind in ("function", "agent"):
                    out.setdefault(t.name, ("tool", t.source))
    for graph in wf.graphs():
        for n in graph.nodes:
            out.setdefault(n.name, ("node", n.source))
    return out


def _validate(
    entry: _Entry, known: dict[str, tuple[str, M.SourceRef | None]], wf: M.Workflow
) -> M.EffectPolicy:
    body = {"class": entry.body} if isinstance(entry.body, str) else entry.body
    if not isinstance(body, dict):
        raise entry.fail(
            f"effect entry {entry.name!r} must be a class name or a table",
            f'write {entry.name} = "keyed" or [effects.{entry.name}] class = "keyed"',
        )
    if entry.name not in known:
        sample = ", ".join(sorted(known)[:12]) or "(none)"
        what = {"agents": "function tools", "graph": "nodes"}[wf.body.kind]
        holder = next(
            (
                n.name
                for g in wf.graphs()
                for n in g.nodes
                if isinstance(n, M.ToolNodeStep) and entry.name in n.tool_names
            ),
            None,
        )
        raise entry.fail(
            f"the effect policy names {entry.name!r}, which is none of the workflow's {what}",
            f"it is a tool of the ToolNode {holder!r}: classify that node"
            if holder
            else f"known {what}: {sample}",
        )
    on, _ = known[entry.name]
    for key in body:
        if key in RESERVED:
            raise entry.fail(
                f"policy key {key!r} of {entry.name!r} is not supported yet",
                f"{', '.join(RESERVED)} are reserved for per-name policies; remove it",
            )
        if key not in ("class", "compensator"):
            raise entry.fail(
                f"unknown key {key!r} in the effect entry of {entry.name!r}",
                'an entry has: class, and compensator for class = "compensable"',
            )
    kind = body.get("class")
    if kind not in CLASSES:
        raise entry.fail(
            f"unknown effect class {kind!r} for {entry.name!r}", "classes: " + ", ".join(CLASSES)
        )
    source = (
        M.SourceRef(file=entry.file, line=entry.line, qualname=f"effects.{entry.name}")
        if entry.file
        else None
    )
    fields: dict[str, Any] = {"name": entry.name, "on": on, "source": source}
    comp = body.get("compensator")
    if kind == "compensable":
        if not isinstance(comp, str):
            raise entry.fail(
                f"{entry.name!r} is compensable but names no compensator",
                'add compensator = "module:function" (called with the arguments and the result)',
            )
        _check_ref(entry, comp)
        fields["compensator"] = comp
    elif comp is not None:
        raise entry.fail(
            f"{entry.name!r} has a compensator but is class {kind!r}",
            'use class = "compensable", or remove the compensator',
        )
    return MODELS[kind](**fields)


def _check_ref(entry: _Entry, ref: str) -> None:
    from .refs import load_ref

    try:
        target = load_ref(ref)
    except AgentcError as exc:
        raise entry.fail(
            f"compensator {ref!r} of {entry.name!r} does not import: {exc.diagnostic.message}",
            exc.diagnostic.hint or "write module:function of an importable module",
        ) from None
    if not callable(target):
        raise entry.fail(
            f"compensator {ref!r} of {entry.name!r} is not callable",
            "point it at a function taking (arguments, result)",
        )


def attach(
    wf: M.Workflow,
    live: Any,
    policy: str | Path | None = None,
    *,
    cwd: Path | None = None,
    warnings: Warnings | None = None,
    level: ErrorLevel = ErrorLevel.WARN,
) -> M.Workflow:
    """The workflow with its effect policy, validated against its nodes and tools, and
    the static re-run checks (``effect_checks``) reported into ``warnings``."""
    cwd = cwd or Path.cwd()
    known = names(wf)
    chosen: dict[str, M.EffectPolicy] = {}
    shared = policy is None  # pyproject's table serves every agent of the project
    for entry in _file_entries(policy, cwd):
        if shared and entry.name not in known:
            continue  # another agent's node or tool: `agentc check` reports names no agent has
        chosen.setdefault(entry.name, _validate(entry, known, wf))
    for entry in _decorated(wf, live):
        chosen.setdefault(entry.name, _validate(entry, known, wf))
    out = wf.model_copy(update={"effects": tuple(chosen[k] for k in sorted(chosen))})
    out = M.Workflow.model_validate(out.model_dump())
    if warnings is not None and isinstance(out.body, M.GraphProgram):
        from .effect_checks import rerun_findings

        for diag in rerun_findings(out, live):
            warnings.add(diag, level)
    return out


def unmatched(workflows: list[M.Workflow], cwd: Path) -> list[Diagnostic]:
    """Entries of ``[tool.agentc.effects]`` that name a node or tool of none of the
    project's agents (``agentc check``: a typo there is not silently ignored)."""
    known: set[str] = set()
    for wf in workflows:
        known |= set(names(wf))
    return [
        Diagnostic(
            Code.EFFECT_POLICY,
            f"[tool.agentc.effects] names {e.name!r}, which is no node or function tool "
            "of the agents in [tool.agentc]",
            construct=f"effects.{e.name}",
            file=e.file,
            line=e.line,
            hint="fix the name, or remove the entry",
        )
        for e in _file_entries(None, cwd)
        if e.name not in known
    ]


__all__ = ["CLASSES", "RESERVED", "Diagnostic", "attach", "effect", "names", "unmatched"]
