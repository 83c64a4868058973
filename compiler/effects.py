"""What user code imports for side effects (docs/effects.md)::

    from agentc.effects import effect, effect_key

``effect``: the policy decorator (``agentc.policy``); ``effect_key``: the idempotency key
of the running step (``agentc.semantics.effects``)."""

from __future__ import annotations

from agentc.semantics.effects import compensated_key, current_effect_key, effect_key

from .policy import effect

__all__ = ["compensated_key", "current_effect_key", "effect", "effect_key"]
