"""Random agent transcripts under random policies, for tests/test_policies_property.py.

``specs()`` draws a plain-data spec (hypothesis prints it on failure): three function
tools ``t0..t2`` taking ``n: int`` (each call is recorded in ``EXECUTED``: the side effect
a policy guards), a scripted fake model — 1-4 responses of 1-3 parallel calls with random
``n`` — and a policy per tool (``deny``: never / always / ``args.n > k``;
``require_approval``: never / always / ``args.n > k``; ``max_calls``), the run's
``max_tool_calls`` and ``on_deny = "refuse"``, and the human's answer for each ``n``.

``install(spec)`` builds the agent as ``policy_random:current`` (``REF``);
``policy_toml(spec)`` is the policy file; ``rules(spec)`` the same rules as Python
predicates for the hand-written oracle (tests/policy_oracle.py) and the invariants.
"""
from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from agentc.fixtures.openai_agents.fake_model import ALWAYS, FakeModel, Rule, call, say

REF = "policy_random:current"
TOOLS = ("t0", "t1", "t2")
current: Any = None
EXECUTED: list[tuple[str, int]] = []


def _tool(name: str) -> Any:
    from agents import function_tool

    def body(n: int) -> str:
        EXECUTED.append((name, n))
        return f"{name}({n}) done"

    body.__doc__ = f"Tool {name}.\n\n    Args:\n        n: a number.\n    "
    return function_tool(body, name_override=name)


def _model(spec: dict[str, Any]) -> Any:
    turns = spec["script"]

    def respond(r) -> list:
        made = len(r.function_calls)
        at = 0
        for turn in turns:
            if made == at:
                return [call(TOOLS[t], n=n) for t, n in turn]
            at += len(turn)
        outs = r.outputs
        return [say(" | ".join(f"{name}:{outs.get(cid)}" for name, _, cid in r.function_calls))]

    return FakeModel("Operator", [Rule("script", ALWAYS, respond)])


def install(spec: dict[str, Any]) -> Any:
    from agents import Agent

    global current
    current = Agent(name="Operator", instructions="Use the tools.", tools=[_tool(n) for n in TOOLS],
                    model=_model(spec))
    return current


# ---------------------------------------------------------------- the policy, twice
def _cel(pred: Any) -> Any:
    return pred if isinstance(pred, bool) else f"args.n > {pred}"


def _py(pred: Any) -> Any:
    if isinstance(pred, bool):
        return lambda a, p=pred: p
    return lambda a, k=pred: a["n"] > k


def policy_toml(spec: dict[str, Any]) -> str:
    lines = ["[policies.run]", 'on_deny = "refuse"', "max_turns = 10"]
    if spec["max_tool_calls"] is not None:
        lines.append(f"max_tool_calls = {spec['max_tool_calls']}")
    for name, rule in spec["rules"].items():
        lines += ["", f"[policies.tools.{name}]"]
        for key in ("deny", "require_approval"):
            v = _cel(rule[key])
            lines.append(f"{key} = {str(v).lower() if isinstance(v, bool) else repr(v)}")
        if rule["max_calls"] is not None:
            lines.append(f"max_calls = {rule['max_calls']}")
    return "\n".join(lines) + "\n"


def rules(spec: dict[str, Any]) -> dict[str, Any]:
    import policy_oracle as P

    return {name: P.Rule(deny=_py(r["deny"]), approval=_py(r["require_approval"]), max_calls=r["max_calls"])
            for name, r in spec["rules"].items()}


def approves(spec: dict[str, Any], n: int) -> bool:
    return n in spec["approve"]


# ---------------------------------------------------------------- generating
_pred = st.one_of(st.just(False), st.just(True), st.integers(0, 9))
_rule = st.fixed_dictionaries({"deny": st.one_of(st.just(False), st.just(False), _pred),
                               "require_approval": _pred,
                               "max_calls": st.one_of(st.none(), st.integers(0, 3))})


def specs() -> Any:
    call_ = st.tuples(st.integers(0, len(TOOLS) - 1), st.integers(0, 9))
    return st.fixed_dictionaries({
        "script": st.lists(st.lists(call_, min_size=1, max_size=3), min_size=1, max_size=4),
        "rules": st.dictionaries(st.sampled_from(TOOLS), _rule, max_size=3),
        "max_tool_calls": st.one_of(st.none(), st.integers(0, 6)),
        "approve": st.sets(st.integers(0, 9)),
    })
