"""The money budget's arithmetic (docs/policies.md, "Money budget"): which model answered,
and what its reported usage cost at the user's prices.

agentc keeps no prices of its own (they differ per model and change): the policy file gives
US dollars per million input and output tokens per model (``[policies.prices.MODEL]``), and
the cost of a response is ``input_tokens * input / 1e6 + output_tokens * output / 1e6`` from
the usage the model reports — the same journaled usage the token budget reads, so every
drive of a run prices the same calls the same.

A model is named the way the SDK names it: an agent's ``model`` string (the SDK turns it
into a model object whose ``model`` attribute is that string), a model object's ``model``
attribute, or — for a ``Model`` subclass without one — its class name; an agent without a
model uses the SDK's default model.
"""

from __future__ import annotations

from typing import Any


def spent(usd: float, budget: float) -> str:
    """How a money budget's diagnostic names the amounts (``$0.000874``, ``$0.001``); built
    by concatenation: the shims' source never holds Conductor's expression opener."""
    dollar = "$"
    return (
        f"the run has spent {dollar}{usd:.6f} on model calls at the policy's prices, "
        f"its budget is {dollar}{budget:g}"
    )


def model_name(model: Any) -> str:
    """The name a price table knows ``model`` by (an agent's ``model`` value or the
    ``Model`` object that answered)."""
    if model is None:
        from agents.models import get_default_model

        return str(get_default_model())
    if isinstance(model, str):
        return model
    named = getattr(model, "model", None)
    return named if isinstance(named, str) else type(model).__name__


def cost_usd(price: Any, usage: Any) -> float:
    """What one response cost: its ``usage`` (a ``Usage`` or its JSON) at ``price``."""

    def tokens(key: str) -> int:
        v = usage.get(key) if isinstance(usage, dict) else getattr(usage, key, None)
        return v if isinstance(v, int) and v > 0 else 0

    return (tokens("input_tokens") * price.input + tokens("output_tokens") * price.output) / 1e6


__all__ = ["cost_usd", "model_name"]
