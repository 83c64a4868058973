"""The output of a finished agent run: ``final_output`` and ``last_agent`` — or, when the
run was started with ``full_result`` (``agentc run --json``, ``agentc.run(...,
full_result=True)``), the SDK's whole ``RunResult`` as JSON (docs/openai-agents.md,
"The result").

The result is the one the SDK's ``Runner.run`` returned to the drive that finished the run:
that drive replayed every model response, tool output and guardrail result from the
journal, so its items, usage (each journaled response keeps the usage the model reported)
and guardrail ``output_info`` are the original ones. The engines put it through the claim
check (``claim_check.result_value``), so a long run's items stay out of the payloads.
"""

from __future__ import annotations

from typing import Any

from agentc.semantics.codec import to_jsonable

FULL = "full"
"""The run description's ``result`` when the whole ``RunResult`` is wanted."""


def output_of(result: Any, run: dict[str, Any] | None = None) -> dict[str, Any]:
    """What a finished run returns, as the run description ``run`` asks."""
    out = {"final_output": to_jsonable(result.final_output), "last_agent": result.last_agent.name}
    if (run or {}).get("result") == FULL:
        out.update(full(result))
    return out


def full(result: Any) -> dict[str, Any]:
    """``RunResult``'s data as JSON: ``new_items`` (each as the SDK's run-state JSON names
    its fields: ``type``, ``agent``, ``raw_item`` and the item's own ``output``,
    ``source_agent``/``target_agent``, ``tool_name``), ``usage`` totals (the SDK's
    ``serialize_usage``), the guardrail results with their ``output_info``,
    ``to_input_list()`` (the next turn's input), ``last_response_id`` and ``raw_responses``
    (each model response's output items, the usage its model reported and its ids)."""
    from agents.usage import serialize_usage

    return {
        "new_items": [item_json(i) for i in result.new_items],
        "usage": serialize_usage(result.context_wrapper.usage),
        "input_guardrail_results": [_guardrail(r) for r in result.input_guardrail_results],
        "output_guardrail_results": [_guardrail(r) for r in result.output_guardrail_results],
        "tool_input_guardrail_results": [
            _tool_guardrail(r) for r in result.tool_input_guardrail_results
        ],
        "tool_output_guardrail_results": [
            _tool_guardrail(r) for r in result.tool_output_guardrail_results
        ],
        "input_list": to_jsonable(result.to_input_list()),
        "last_response_id": result.last_response_id,
        "raw_responses": [_response(r) for r in result.raw_responses],
    }


def _response(r: Any) -> dict[str, Any]:
    from agents.usage import serialize_usage

    return {
        "output": to_jsonable(r.output),
        "usage": serialize_usage(r.usage),
        "response_id": r.response_id,
        "request_id": r.request_id,
    }


def item_json(item: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": item.type,
        "agent": item.agent.name,
        "raw_item": to_jsonable(item.raw_item),
    }
    if hasattr(item, "output"):
        out["output"] = to_jsonable(item.output)
    for side in ("source_agent", "target_agent"):
        if getattr(item, side, None) is not None:
            out[side] = getattr(item, side).name
    if getattr(item, "tool_name", None) is not None:
        out["tool_name"] = item.tool_name
    return out


def _guardrail(r: Any) -> dict[str, Any]:
    return {
        "guardrail": r.guardrail.get_name(),
        "output_info": to_jsonable(r.output.output_info),
        "tripwire_triggered": bool(r.output.tripwire_triggered),
    }


def _tool_guardrail(r: Any) -> dict[str, Any]:
    return {
        "guardrail": r.guardrail.get_name(),
        "output_info": to_jsonable(r.output.output_info),
        "behavior": to_jsonable(r.output.behavior),
    }
