"""The run's token and money budgets on a LangGraph graph's chat-model calls
(docs/policies.md, "Budgets on LangGraph chat models"): ``[policies.run] max_tokens`` and
``max_cost_usd`` with ``[policies.prices.MODEL]``.

``policy_gate.node_gate`` — which every target runs right before a node's function (the
local executor, the step worker of Conductor tasks and Temporal activities) — puts a
``ChatBudget`` in the node's ``config["callbacks"]``: a langchain-core callback handler (the
public hook ``chat_capture.ChatCapture`` uses too), run inline, so it is called in the chat
model's own call, *before* the model is asked (``on_chat_model_start``) and when it answered
(``on_llm_end``). Raising from ``on_chat_model_start`` (``raise_error``) ends the call before
the provider is called, and ``PolicyDenied`` is final on every target: the run fails with
``AC315``.

What the run has used lives in the frame, beside the policies' call counts
(``semantics/call_counts.py``, keys ``usage.tokens`` and ``usage.usd``): each answered call
adds the ``usage_metadata`` its ``AIMessage`` reports (``total_tokens``; the cost of
``input_tokens`` / ``output_tokens`` at the price of the model that answered) through the
task's send sink, so the usage of a node's calls counts once the node finishes — the same
message the local journal and the engines' step output keep of the call
(``chat_calls.py`` / ``chat_capture.py``), applied with the task's other writes. A task that
fails or pauses counts nothing (its re-run calls the model again, as ``graph.invoke`` does).
A verdict reads the usage at the start of the step plus the task's own earlier calls, so
every target, a replay and a resume decide the same at the same call; parallel tasks of one
step do not see each other's calls (they run at once).

A model is named as LangSmith names it, ``ls_model_name`` in the call's metadata
(langchain-core's ``BaseChatModel._get_ls_params``: the call's ``model`` argument, else the
model's ``model`` / ``model_name`` attribute; providers override it with their model id),
else the model's class name.
"""

from __future__ import annotations

import threading
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler

from agentc.errors import Code


TOKENS = "usage.tokens"
USD = "usage.usd"


def budgeted(policies: Any) -> bool:
    run = getattr(policies, "run", None)
    return run is not None and (run.max_tokens is not None or run.max_cost_usd is not None)


def chat_model_name(serialized: Any, metadata: Any) -> str:
    """The price table's name of the chat model being called (see the module docstring)."""
    named = (metadata or {}).get("ls_model_name")
    if isinstance(named, str) and named:
        return named
    ids = (serialized or {}).get("id") if isinstance(serialized, dict) else None
    if isinstance(ids, list) and ids:
        return str(ids[-1])
    return str((serialized or {}).get("name") or "unknown")


class ChatBudget(BaseCallbackHandler):
    """One node execution's view of the run's budget (see the module docstring)."""

    run_inline = True
    raise_error = True

    def __init__(self, policies: Any, node: str, config: dict[str, Any], used: dict[str, Any]):
        self.policies, self.node, self.config = policies, node, config
        self.tokens = int(used.get(TOKENS, 0))
        self.usd = float(used.get(USD, 0.0))
        self.models: dict[UUID, str] = {}
        self.lock = threading.Lock()

    def on_chat_model_start(
        self, serialized: dict[str, Any], messages: list[list[Any]], *, run_id: UUID, **kw: Any
    ) -> None:
        name = chat_model_name(serialized, kw.get("metadata"))
        run = self.policies.run
        with self.lock:
            tokens, usd = self.tokens, self.usd
        if run.max_cost_usd is not None:
            if self.policies.price(name) is None:
                raise _stop(
                    run,
                    f"node {self.node!r} calls chat model {name!r}, which the policy has no "
                    "price for, so the run's money budget cannot be kept",
                    "policies.run.max_cost_usd",
                    f'add [policies.prices."{name}"] input = ..., output = ... '
                    "(US dollars per million tokens)",
                )
        from .policy_gate import over_budget

        stop = over_budget(run, tokens, usd, f"node {self.node!r} cannot call its chat model again")
        if stop is not None:
            raise stop
        self.models[run_id] = name

    def on_llm_end(self, response: Any, *, run_id: UUID, **kw: Any) -> None:
        from agentc.semantics.call_counts import record

        name = self.models.pop(run_id, None)
        if name is None:  # not a chat call this handler admitted
            return
        usage = getattr(response.generations[0][0], "message", None)
        usage = getattr(usage, "usage_metadata", None) or {}
        total = usage.get("total_tokens") if isinstance(usage, dict) else None
        tokens = total if isinstance(total, int) and total > 0 else 0
        usd = 0.0
        if self.policies.run.max_cost_usd is not None:
            from .model_prices import cost_usd

            usd = cost_usd(self.policies.price(name), usage)
        with self.lock:
            self.tokens += tokens
            self.usd += usd
        record(self.config, {TOKENS: tokens, **({USD: usd} if usd else {})})

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kw: Any) -> None:
        self.models.pop(run_id, None)


def _stop(run: Any, message: str, construct: str, hint: str) -> Exception:
    from .policy_gate import PolicyDenied

    return PolicyDenied(
        Code.TOKEN_BUDGET, message, construct=construct, source=run.source, hint=hint
    )


def attach(policies: Any, node: str, config: dict[str, Any], frame: Any) -> ChatBudget:
    """Put the budget in a node's config (``lg.node_config`` gives a ``callbacks`` list)."""
    from agentc.semantics.call_counts import counted

    used = counted(frame.channels) if frame is not None else {}
    budget = ChatBudget(policies, node, config, used)
    config["callbacks"] = [*(config.get("callbacks") or []), budget]
    return budget


__all__ = ["TOKENS", "USD", "ChatBudget", "attach", "budgeted", "chat_model_name"]
