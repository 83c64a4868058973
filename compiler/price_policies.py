"""The money budget's policy (docs/policies.md, "Money budget"): ``[policies.run]
max_cost_usd`` and the user's price table ``[policies.prices.MODEL]`` (US dollars per million
input and output tokens), checked when the policy loads: every model an agent of the
workflow may call needs a price, or the budget could not be kept (AC410 with the line).
The runtime side is ``runtime_shims/model_prices.py`` and ``policy_gate.ToolGate``."""

from __future__ import annotations

from typing import Any

from .errors import AgentcError, Code
from .ir.model import ModelPrice, Workflow

PRICE_KEYS = ("input", "output")


def prices(table: Any, where: Any) -> tuple[ModelPrice, ...]:
    """``[policies.prices.MODEL] input = ..., output = ...``, checked."""
    if table is None:
        return ()
    if not isinstance(table, dict):
        raise where.error(
            "policies.prices must be a table",
            "prices",
            hint='write [policies.prices."MODEL"] input = 2.0, output = 8.0',
        )
    out = []
    for model, body in sorted(table.items()):
        if not isinstance(body, dict):
            raise where.error(
                f"policies.prices.{model} must be a table",
                "prices",
                model,
                hint=f'write [policies.prices."{model}"] input = 2.0, output = 8.0 '
                "(US dollars per million tokens)",
            )
        for key in body:
            if key not in PRICE_KEYS:
                raise where.error(
                    f"unknown key {key!r} in the price of model {model!r}",
                    "prices",
                    model,
                    key,
                    hint="a price has: input, output (US dollars per million tokens)",
                )
        values = {}
        for key in PRICE_KEYS:
            v = body.get(key)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
                raise where.error(
                    f"prices.{model}.{key} must be a number of US dollars per million tokens "
                    f"(at least 0), not {v!r}",
                    "prices",
                    model,
                    key,
                    hint="give both input and output",
                )
            values[key] = float(v)
        out.append(ModelPrice(model=model, **values, source=where.ref("prices", model)))
    return tuple(out)


def check_models(wf: Workflow, live: Any, max_cost: float | None, priced: Any, where: Any) -> None:
    """With a money budget, every model the workflow's agents call must have a price."""
    if wf.body.kind != "agents":
        check_graph_budget(wf, max_cost, priced, where)
        return
    if max_cost is None:
        return
    if live is None:
        return
    from agentc.runtime_shims.model_prices import model_name
    from agentc.runtime_shims.openai_agents_replay import reachable_agents

    known = {p.model for p in priced}
    for agent in reachable_agents(live):
        name = model_name(getattr(agent, "model", None))
        if name not in known:
            raise where.error(
                f"agent {agent.name!r} calls model {name!r}, which the price table lacks: the "
                "money budget cannot price its calls",
                "run",
                "max_cost_usd",
                hint=f'add [policies.prices."{name}"] input = ..., output = ... (US dollars per '
                "million tokens); priced: " + (", ".join(sorted(known)) or "none"),
            )


def check_graph_budget(wf: Workflow, max_cost: float | None, priced: Any, where: Any) -> None:
    """A budget on a LangGraph graph's chat models (``runtime_shims/chat_budget.py``): its chat
    models are objects inside node code, so which ones a node calls is known at run time only
    (an unpriced one fails the run with AC315 before it is called); here, a money budget
    needs a price table, and a graph with subgraph nodes is refused (AC200): a subgraph's
    frame — where the usage is counted — is per run of the subgraph, not per run."""
    from .ir.model import SubgraphNode

    run = (getattr(where, "table", None) or {}).get("run") or {}
    budget = next((k for k in ("max_tokens", "max_cost_usd") if k in run), None)
    if budget is None:
        return
    sub = next((n.name for n in wf.graph.nodes if isinstance(n, SubgraphNode)), None)
    if sub is not None:
        raise AgentcError(
            Code.UNSUPPORTED,
            f"a run budget ({budget}) on graph {wf.graph.name!r}, which has subgraph node "
            f"{sub!r}, is not supported yet: the usage is counted per run of a subgraph",
            construct=f"policies.run.{budget}",
            file=where.file,
            line=where.line("run", budget),
            hint="remove the budget, or inline the subgraph's nodes into the graph",
        )
    if max_cost is not None and not priced:
        raise where.error(
            "a money budget needs the prices of the graph's chat models",
            "run",
            "max_cost_usd",
            hint='add [policies.prices."MODEL"] input = ..., output = ... (US dollars per '
            "million tokens; MODEL: the chat model's `model` / `model_name`)",
        )
