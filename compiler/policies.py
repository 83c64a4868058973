"""The policy file: framework-enforced rules for tools, nodes, runs and fan-outs.

Read from ``[tool.agentc.policies]`` in pyproject.toml, or from ``[policies]`` in a TOML
file named by ``--policy FILE`` / ``$AGENTC_POLICY`` (the same files the effect policy
lives in, under a table of its own), checked against the workflow it applies to, and
carried in the IR (``Workflow.policies``: frozen, part of the fingerprint, so a run keeps
the policy it started under and a worker with a different policy refuses its steps).

Predicates are CEL (``celpy``, the pure-Python cel-python): a small, total, side-effect
free expression language, parsed here so a predicate that does not parse, or that reads
an argument the tool does not take, is a diagnostic naming the policy file and line —
never Python ``eval``. The schema is documented in docs/policies.md; the runtime side is
``runtime_shims/policy_gate.py``.

``apply_policies(wf, live, path)`` is the one entry point (the lead may combine it with
the effect-policy loader: both read the same file).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from .errors import AgentcError, Code
from .parallel_counts import refuse_parallel_counts
from .price_policies import check_models, prices
from .graph_policies import graph_nodes, refuse_in_subgraph, tool_node_args, with_approval_pauses
from .ir.model import (
    AgentProgram,
    FanoutPolicy,
    FunctionNode,
    GraphProgram,
    Policies,
    PolicyRule,
    RunPolicy,
    SourceRef,
    ToolNodeStep,
    Workflow,
)

ENV = "AGENTC_POLICY"

RULE_KEYS = {
    "tools": (
        "deny",
        "require_approval",
        "max_calls",
        "irreversible",
        "message",
        "timeout",
        "args_schema",
        "external",
    ),
    "nodes": (
        "deny",
        "require_approval",
        "max_calls",
        "irreversible",
        "message",
        "external",
        "timeout",
        "args_schema",
    ),
    "fanouts": ("mode", "deadline"),
    "run": ("max_turns", "max_tool_calls", "on_deny", "max_tokens", "max_cost_usd"),
    "prices": (),
}
NOT_YET: dict[tuple[str, str], str] = {}
"""Rules of the docs that a section does not take yet: refused loudly (AC200), not dropped."""
VARIABLE = {"tools": "args", "nodes": "state"}
"""The CEL variable a predicate reads: a tool call's JSON arguments, a node's input."""


def policy_path(explicit: str | Path | None = None) -> Path | None:
    """Where the policies come from: ``explicit``, else ``$AGENTC_POLICY``, else
    ./pyproject.toml when it exists (it may hold no policies)."""
    if explicit:
        return Path(explicit)
    if os.environ.get(ENV):
        return Path(os.environ[ENV])
    here = Path("pyproject.toml")
    return here if here.is_file() else None


def apply_policies(wf: Workflow, live: Any = None, path: str | Path | None = None) -> Workflow:
    """``wf`` with the policies of ``path`` (see ``policy_path``) checked and attached, and
    LangGraph nodes that need an approval given their pause (an interrupt point at the
    policy's line, which the targets lower like an ``interrupt()`` call)."""
    source = policy_path(path)
    if source is None:
        return wf
    table, where = _read(source, explicit=bool(path or os.environ.get(ENV)))
    if table is None:
        return wf
    policies = _check(wf, live, table, where)
    if isinstance(wf.body, GraphProgram) and (policies.nodes or policies.tools):
        wf = wf.model_copy(
            update={"body": GraphProgram(graph=with_approval_pauses(wf.body.graph, policies))}
        )
    return wf.model_copy(update={"policies": policies})


# ---------------------------------------------------------------- reading
class _Where:
    """Lines of tables and keys in the TOML text (tomllib gives values only)."""

    def __init__(self, file: str, text: str, prefix: tuple[str, ...]) -> None:
        self.file, self.prefix = file, prefix
        self.table: dict[str, Any] = {}
        """The policies table being checked (set by ``_check``)."""
        self.lines: dict[tuple[str, ...], int] = {}
        table: tuple[str, ...] = ()
        for n, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if line.startswith("["):
                table = _key_path(line.strip("[]"))
                for i in range(1, len(table) + 1):
                    self.lines.setdefault(table[:i], n)
            elif "=" in line and not line.startswith("#"):
                path = table + _key_path(line.split("=", 1)[0])
                for i in range(len(table) + 1, len(path) + 1):
                    self.lines.setdefault(path[:i], n)

    def line(self, *path: str) -> int | None:
        for i in range(len(path), -1, -1):
            found = self.lines.get(self.prefix + path[:i])
            if found is not None:
                return found
        return None

    def ref(self, *path: str) -> SourceRef:
        return SourceRef(
            file=self.file, line=self.line(*path), qualname="policies." + ".".join(path)
        )

    def error(self, message: str, *path: str, hint: str = "") -> AgentcError:
        return AgentcError(
            Code.POLICY,
            message,
            construct="policies." + ".".join(path),
            file=self.file,
            line=self.line(*path),
            hint=hint or "see docs/policies.md",
        )


def _key_path(text: str) -> tuple[str, ...]:
    return tuple(
        m.group(1) if m.group(1) is not None else m.group(2).strip()
        for m in re.finditer(r'"([^"]*)"|([^."]+)', text.strip())
        if (m.group(1) or (m.group(2) or "").strip())
    )


def _read(path: Path, explicit: bool) -> tuple[dict[str, Any] | None, _Where]:
    try:
        import tomllib
    except ModuleNotFoundError:  # pragma: no cover - Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]

    shown = _shown(path)
    if not path.is_file():
        raise AgentcError(
            Code.POLICY,
            f"policy file not found: {shown}",
            construct="--policy",
            file=shown,
            hint=f"pass an existing TOML file with --policy or ${ENV}",
        )
    text = path.read_text()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise AgentcError(
            Code.POLICY,
            f"the policy file is not valid TOML: {exc}",
            construct="policies",
            file=shown,
            line=int(m.group(1)) if m else None,
            hint="fix the TOML syntax",
        ) from None
    if "policies" in data and path.name != "pyproject.toml":
        return _table(data["policies"], _Where(shown, text, ("policies",)), shown)
    agentc = data.get("tool", {}).get("agentc", {}) if isinstance(data.get("tool"), dict) else {}
    found = agentc.get("policies") if isinstance(agentc, dict) else None
    where = _Where(shown, text, ("tool", "agentc", "policies"))
    if found is None and explicit and "effects" not in agentc and "effects" not in data:
        raise AgentcError(
            Code.POLICY,
            f"{shown} has no [policies] table",
            construct="policies",
            file=shown,
            hint="a policy file holds [policies.tools.NAME], [policies.nodes.NAME], "
            "[policies.run]; "
            "pyproject.toml holds them under [tool.agentc.policies]",
        )
    return (None, where) if found is None else _table(found, where, shown)


def _table(found: Any, where: _Where, shown: str) -> tuple[dict[str, Any], _Where]:
    if not isinstance(found, dict):
        raise where.error(
            "the policies entry must be a table", hint="write [policies.tools.NAME] tables"
        )
    return found, where


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


# ---------------------------------------------------------------- checking
def _check(wf: Workflow, live: Any, table: dict[str, Any], where: _Where) -> Policies:
    for section in table:
        if section not in RULE_KEYS:
            raise where.error(
                f"unknown policy section {section!r}",
                section,
                hint="sections: " + ", ".join(sorted(RULE_KEYS)),
            )
    where.table = table
    run = _run(table.get("run") or {}, where)
    tools = tuple(
        _rule("tools", name, body, where, _tool_args(wf, live, name, where))
        for name, body in _named(table, "tools", where)
    )
    nodes = tuple(
        _rule("nodes", name, body, where, _node_keys(wf, name, where))
        for name, body in _named(table, "nodes", where)
    )
    for rule in nodes:
        _refuse_node_timeout(wf, rule, where)
        refuse_in_subgraph(rule, where)
    fanouts = tuple(
        _fanout(wf, name, body, where) for name, body in _named(table, "fanouts", where)
    )
    # external tools: any agent tool, any fan-out (docs/policies.md "External completion")
    priced = prices(table.get("prices"), where)  # docs/policies.md "Money budget"
    check_models(wf, live, run.max_cost_usd, priced, where)
    if isinstance(wf.body, GraphProgram):  # per-run counts parallel subgraph calls cannot keep
        refuse_parallel_counts(wf.body.graph, run, tools, nodes, where)
    return Policies(run=run, tools=tools, nodes=nodes, fanouts=fanouts, prices=priced)


def _refuse_node_timeout(wf: Workflow, rule: PolicyRule, where: _Where) -> None:
    """A node ``timeout`` (not an external node's) bounds each attempt of the node, as
    LangGraph's ``TimeoutPolicy(run_timeout=...)``: like LangGraph, only an async function
    node can be cancelled (docs/policies.md "Node timeouts")."""
    if rule.timeout is None or rule.external:
        return
    _, node = graph_nodes(wf.graph)[rule.name]
    if isinstance(node, FunctionNode) and node.call.is_async or isinstance(node, ToolNodeStep):
        return  # a ToolNode runs by its async path then (graph_policies.with_approval_pauses)
    raise AgentcError(
        Code.UNSUPPORTED,
        f"node {rule.name!r} cannot take a timeout: it is not an async function node",
        construct=f"policies.nodes.{rule.name}.timeout",
        file=where.file,
        line=where.line("nodes", rule.name, "timeout"),
        hint="LangGraph bounds only async nodes (a sync call cannot be cancelled in "
        "process; its add_node(timeout=...) refuses sync nodes too): make the node "
        "async, or put the timeout on the subgraph's nodes",
    )


def _named(table: dict[str, Any], section: str, where: _Where) -> list[tuple[str, dict[str, Any]]]:
    entries = table.get(section) or {}
    out = []
    for name, body in sorted(entries.items()):
        if not isinstance(body, dict):
            raise where.error(
                f"policies.{section}.{name} must be a table",
                section,
                name,
                hint=f"write [policies.{section}.{name}] with its rules under it",
            )
        for key in body:
            hint = NOT_YET.get((section, key))
            if hint:
                raise AgentcError(
                    Code.UNSUPPORTED,
                    f"rule {key!r} is not supported for {section} yet",
                    construct=f"policies.{section}.{name}.{key}",
                    file=where.file,
                    line=where.line(section, name, key),
                    hint=hint,
                )
            if key not in RULE_KEYS[section]:
                raise where.error(
                    f"unknown rule {key!r} for {section[:-1]} {name!r}",
                    section,
                    name,
                    key,
                    hint="rules: " + ", ".join(RULE_KEYS[section]),
                )
        out.append((name, body))
    return out


def _typed(value: Any, types: tuple[type, ...], what: str, where: _Where, *path: str) -> Any:
    if isinstance(value, bool) and bool not in types or not isinstance(value, types):
        raise where.error(
            f"{'.'.join(path)} must be {what}, not {value!r}", *path, hint="see docs/policies.md"
        )
    return value


def _run(body: dict[str, Any], where: _Where) -> RunPolicy:
    for key in body:
        if key not in RULE_KEYS["run"]:
            raise where.error(
                f"unknown rule {key!r} for the run",
                "run",
                key,
                hint="rules: " + ", ".join(RULE_KEYS["run"]),
            )
    out: dict[str, Any] = {}
    for key, least in (("max_turns", 1), ("max_tool_calls", 0), ("max_tokens", 1)):
        if key in body:
            v = _typed(body[key], (int,), "a whole number", where, "run", key)
            if v < least:
                raise where.error(f"run.{key} must be at least {least}", "run", key)
            out[key] = v
    if "max_cost_usd" in body:
        v = _typed(body["max_cost_usd"], (int, float), "US dollars", where, "run", "max_cost_usd")
        if not v > 0:
            raise where.error("run.max_cost_usd must be positive", "run", "max_cost_usd")
        out["max_cost_usd"] = float(v)
    if "on_deny" in body:
        if body["on_deny"] not in ("refuse", "fail"):
            raise where.error(
                f'run.on_deny must be "refuse" or "fail", not {body["on_deny"]!r}', "run", "on_deny"
            )
        out["on_deny"] = body["on_deny"]
    return RunPolicy(**out, source=where.ref("run"))


def _rule(
    section: str, name: str, body: dict[str, Any], where: _Where, keys: tuple[str, ...] | None
) -> PolicyRule:
    out: dict[str, Any] = {}
    for key in ("deny", "require_approval"):
        if key in body:
            v = _typed(
                body[key], (bool, str), "true, false, or a CEL predicate", where, section, name, key
            )
            if isinstance(v, str):
                _check_predicate(v, VARIABLE[section], keys, where, section, name, key)
            out[key] = v
    if "max_calls" in body:
        v = _typed(body["max_calls"], (int,), "a whole number", where, section, name, "max_calls")
        if v < 0:
            raise where.error("max_calls must be at least 0", section, name, "max_calls")
        out["max_calls"] = v
    if "irreversible" in body:
        out["irreversible"] = _typed(
            body["irreversible"], (bool,), "true or false", where, section, name, "irreversible"
        )
    if "message" in body:
        out["message"] = _typed(
            body["message"], (str,), "the refusal text", where, section, name, "message"
        )
    if "external" in body:
        out["external"] = _typed(
            body["external"], (bool,), "true or false", where, section, name, "external"
        )
    if "timeout" in body:
        v = _typed(
            body["timeout"], (int, float), "seconds (a number)", where, section, name, "timeout"
        )
        if not v > 0:
            raise where.error(
                f"{section}.{name}.timeout must be positive, not {v!r}", section, name, "timeout"
            )
        out["timeout"] = float(v)
    if "args_schema" in body:
        out["args_schema"] = args_schema(body["args_schema"], keys, where, section, name)
    return PolicyRule(name=name, **out, source=where.ref(section, name))


def args_schema(
    schema: Any, keys: tuple[str, ...] | None, where: _Where, section: str, name: str
) -> str:
    """A tool's argument schema or a node's input schema, checked (a valid JSON Schema,
    naming only arguments the tool takes / keys the node reads) and kept as canonical JSON
    text."""
    import json

    import jsonschema

    path = (section, name, "args_schema")
    what, of = ("tool", "arguments") if section == "tools" else ("node", "input keys")
    _typed(schema, (dict,), f"a table (a JSON Schema for the {what}'s {of})", where, *path)
    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError as exc:
        at = "/".join(str(p) for p in exc.path) or "the top"
        raise where.error(
            f"args_schema of {what} {name!r} is not a valid JSON Schema ({exc.message}, at {at})",
            *path,
            hint='see https://json-schema.org; e.g. { type = "object", properties = '
            '{ rows = { type = "integer", maximum = 1000 } } }',
        ) from None
    props = schema.get("properties")
    named = set(props) if isinstance(props, dict) else set()
    named |= {r for r in schema.get("required") or () if isinstance(r, str)}
    unknown = sorted(named - set(keys)) if keys is not None else []
    if unknown:
        raise where.error(
            f"args_schema of {what} {name!r} names {', '.join(unknown)}, which the {what} "
            f"does not {'take' if section == 'tools' else 'read'}",
            *path,
            hint="it has: " + (", ".join(keys or ()) or f"no {of}"),
        )
    return json.dumps(schema, sort_keys=True, separators=(",", ":"))


def _fanout(wf: Workflow, name: str, body: dict[str, Any], where: _Where) -> FanoutPolicy:
    match wf.body:
        case AgentProgram(system=system):
            what, known = "agent", [a.name for a in system.agents]
        case GraphProgram(graph=graph):
            what, known = "node", [n.name for n in graph.nodes]
    if name not in known:
        raise where.error(
            f"no {what} {name!r} in {wf.name!r} for a fan-out policy",
            "fanouts",
            name,
            hint=f"{what}s: " + ", ".join(known),
        )
    # an agent's parallel tool calls: Runner.run itself cancels the siblings of a failing
    # call, so fail_fast is the SDK's semantics and "all" is no behaviour of the SDK
    mode = body.get("mode", "fail_fast" if wf.body.kind == "agents" else "all")
    if mode not in ("all", "fail_fast"):
        raise where.error(
            f'fanouts.{name}.mode must be "all" or "fail_fast", not {mode!r}',
            "fanouts",
            name,
            "mode",
        )
    if mode == "all" and wf.body.kind == "agents":
        raise where.error(
            f'fanouts.{name}.mode = "all" is not what Runner.run does: it cancels the unfinished '
            "sibling calls of a call that raises, so agent tool calls are always fail_fast",
            "fanouts",
            name,
            "mode",
            hint="remove `mode` (fail_fast is the default for agents); "
            "a tool whose error the model should read keeps the SDK's failure_error_function",
        )
    deadline = body.get("deadline")
    if deadline is not None:
        _typed(deadline, (int, float), "seconds", where, "fanouts", name, "deadline")
        if deadline <= 0:
            raise where.error(
                f"fanouts.{name}.deadline must be positive", "fanouts", name, "deadline"
            )
    return FanoutPolicy(
        name=name,
        mode=mode,
        deadline=None if deadline is None else float(deadline),
        source=where.ref("fanouts", name),
    )


def _tool_args(wf: Workflow, live: Any, name: str, where: _Where) -> tuple[str, ...] | None:
    """The argument names of tool ``name`` (None: unknown, not checked)."""
    if isinstance(wf.body, GraphProgram):
        return tool_node_args(wf, live, name, where)
    tools = {t.name: t for a in wf.agents.agents for t in a.tools}
    if name not in tools:
        raise where.error(
            f"no tool {name!r} in the agents of {wf.name!r}",
            "tools",
            name,
            hint="tools: " + (", ".join(sorted(tools)) or "none"),
        )
    if tools[name].kind not in ("function", "agent"):
        raise where.error(
            f"tool {name!r} is a {tools[name].kind} tool: it runs inside the model call, where "
            "agentc cannot stop it",
            "tools",
            name,
            hint="policies apply to function tools and agents as tools",
        )
    body = (where.table.get("tools") or {}).get(name)
    timed = isinstance(body, dict) and "timeout" in body and body.get("external") is not True
    if tools[name].kind == "agent" and timed:  # an external one's bounds the outside wait
        raise AgentcError(
            Code.UNSUPPORTED,
            f"a timeout on agent {name!r} used as a tool is not supported yet",
            construct=f"policies.tools.{name}.timeout",
            file=where.file,
            line=where.line("tools", name, "timeout"),
            hint="its nested run is a child workflow on the engines, whose steps a timer in the "
            "parent step cannot bound; put timeouts on the nested agent's function tools",
        )
    if live is None:
        return None
    from agentc.runtime_shims.openai_agents_replay import reachable_agents

    for agent in reachable_agents(live):
        for t in agent.tools:
            if getattr(t, "name", None) == name and isinstance(
                getattr(t, "params_json_schema", None), dict
            ):
                return tuple(t.params_json_schema.get("properties") or ())
    return None


def _node_keys(wf: Workflow, name: str, where: _Where) -> tuple[str, ...]:
    if not isinstance(wf.body, GraphProgram):
        raise where.error(
            f"node policies apply to LangGraph graphs; {wf.name!r} is an agent system",
            "nodes",
            name,
            hint="put the rule on a tool instead: [policies.tools.NAME]",
        )
    nodes = graph_nodes(wf.graph)
    if name not in nodes:
        raise where.error(
            f"no node {name!r} in graph {wf.graph.name!r}",
            "nodes",
            name,
            hint="nodes (a subgraph's as SUBGRAPH_NODE/NODE): " + ", ".join(nodes),
        )
    return tuple(nodes[name][1].input.keys)


def _check_predicate(
    text: str, variable: str, keys: tuple[str, ...] | None, where: _Where, *path: str
) -> None:
    import celpy
    from celpy.celparser import CELParseError

    try:
        tree = celpy.Environment().compile(text)
    except CELParseError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else text
        raise where.error(
            f"the predicate {text!r} does not parse as CEL ({first})",
            *path,
            hint="CEL syntax, e.g. 'args.table.startsWith(\"prod_\")' — see docs/policies.md",
        ) from None
    for var, field in _references(tree):
        if var != variable:
            raise where.error(
                f"the predicate {text!r} reads {var!r}; a {path[0][:-1]} predicate reads "
                f"{variable!r}",
                *path,
                hint=f"write {variable}.NAME",
            )
        if field is not None and keys is not None and field not in keys:
            what = "tool" if path[0] == "tools" else "node input"
            raise where.error(
                f"the predicate {text!r} reads {variable}.{field}, which {what} {path[1]!r} does "
                "not have",
                *path,
                hint="it has: " + (", ".join(keys) or "no arguments"),
            )


MACROS = ("all", "exists", "exists_one", "map", "filter")


def _references(tree: Any) -> list[tuple[str, str | None]]:
    """``(variable, field)`` for every free variable in a CEL tree: ``args.x`` and
    ``args["x"]`` give a field, a bare ``args`` gives None."""
    from lark import Token, Tree

    out: list[tuple[str, str | None]] = []
    seen: set[int] = set()

    def base(t: Any) -> str | None:
        if isinstance(t, Tree) and t.data == "member" and len(t.children) == 1:
            p = t.children[0]
            if isinstance(p, Tree) and p.data == "primary" and len(p.children) == 1:
                i = p.children[0]
                if isinstance(i, Tree) and i.data == "ident":
                    seen.add(id(i))
                    return str(i.children[0])
        return None

    bound: set[str] = set()
    for t in tree.iter_subtrees_topdown():  # macros bind their first argument: xs.exists(x, ...)
        if t.data == "member_dot_arg" and len(t.children) == 3 and str(t.children[1]) in MACROS:
            first = t.children[2].children[0] if t.children[2].children else None
            names = (
                [
                    str(v)
                    for v in first.scan_values(lambda v: isinstance(v, Token) and v.type == "IDENT")
                ]
                if first
                else []
            )
            bound.update(names[:1])
    for t in tree.iter_subtrees_topdown():
        if t.data == "ident" and str(t.children[0]) in bound:
            continue
        if t.data == "member_dot" and len(t.children) == 2:
            var = base(t.children[0])
            if var is not None:
                out.append((var, str(t.children[1])))
        elif t.data == "member_index" and len(t.children) == 2:
            var = base(t.children[0])
            lit = [
                x
                for x in t.children[1].scan_values(
                    lambda v: isinstance(v, Token) and v.type == "STRING_LIT"
                )
            ]
            if var is not None:
                out.append((var, lit[0].strip("\"'") if len(lit) == 1 else None))
        elif t.data == "ident" and id(t) not in seen:
            out.append((str(t.children[0]), None))
    return out


STEP_TIMEOUT_GRACE_S = 60
"""Seconds an engine's own step timeout adds to a tool's policy ``timeout``: the worker
enforces the timeout itself (the SDK's outcome, journaled); the engine's timeout only
catches a worker that cannot report (docs/policies.md "Timeouts")."""


def step_timeout(wf: Workflow, tool: str) -> int | None:
    """The engine timeout (seconds) of the steps that run calls of ``tool``, when the
    policy gives the tool a ``timeout`` (None: the target's default)."""
    import math

    rule = wf.policies.tool(tool) if wf.policies is not None else None
    if rule is None or rule.timeout is None:
        return None
    return math.ceil(rule.timeout) + STEP_TIMEOUT_GRACE_S


ENFORCES_FANOUTS = ("local", "temporal", "conductor")


def refuse_unsupported(wf: Workflow, target: str) -> None:
    """Rules a target cannot enforce yet are refused loudly (AC200), never dropped."""
    fanouts = [
        f
        for f in (wf.policies.fanouts if wf.policies else ())
        if f.mode == "fail_fast" or f.deadline
    ]
    if (
        target in ENFORCES_FANOUTS
    ):  # the one shape the engines do not enforce: targets/fanout_blocks.py
        return
    if fanouts:
        f = fanouts[0]
        raise AgentcError(
            Code.UNSUPPORTED,
            f"the {target} target does not enforce fan-out policies yet "
            f"(fanouts.{f.name}: mode {f.mode!r}, deadline {f.deadline})",
            construct=f"policies.fanouts.{f.name}",
            source=f.source,
            hint="run it on the local target (agentc run), or remove the fan-out policy",
        )


def policy_lines(wf: Workflow) -> list[str]:
    """What `agentc inspect` prints about the workflow's policies."""
    p = wf.policies
    if p is None:
        return []

    def at(src: Any) -> str:
        return f"  ({src.file}:{src.line})" if src is not None else ""

    def rule_text(r: PolicyRule) -> str:
        parts = []
        for key in ("deny", "require_approval"):
            v = getattr(r, key)
            if v is not False:
                parts.append(key if v is True else f"{key} when {v}")
        parts += [f"max_calls {r.max_calls}"] if r.max_calls is not None else []
        parts += [f"timeout {r.timeout:g} s"] if r.timeout is not None else []
        parts += ["args_schema"] if r.args_schema is not None else []
        parts += [k for k in ("irreversible", "external") if getattr(r, k)]
        return ", ".join(parts) or "no rule"

    run = p.run
    lines = [
        f"policy run: max_turns {run.max_turns}, max_tool_calls {run.max_tool_calls}, "
        f"on_deny {run.on_deny}"
        + (f", max_tokens {run.max_tokens}" if run.max_tokens is not None else "")
        + (f", max_cost_usd {run.max_cost_usd:g}" if run.max_cost_usd is not None else "")
        + at(run.source)
    ]
    lines += [f"policy tool {r.name}: {rule_text(r)}{at(r.source)}" for r in p.tools]
    lines += [f"policy node {r.name}: {rule_text(r)}{at(r.source)}" for r in p.nodes]
    lines += [
        f"policy fan-out {f.name}: {f.mode}, deadline {f.deadline}{at(f.source)}" for f in p.fanouts
    ]
    return lines
