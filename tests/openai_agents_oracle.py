"""Native oracle for the OpenAI Agents SDK fixtures (``fixtures/openai_agents``).

``run_native(case)`` runs the fixture with the SDK's own ``Runner.run`` (asyncio) and returns a
JSON-able summary that compiled runs are compared against::

    {"final_output": ..., "last_agent": "...", "model_calls": [...], "tool_calls": [[name, args], ...],
     "error": None | {"type": "...", "guardrail": "..." | None},
     "interruptions": [[{"tool": ..., "arguments": ...}, ...], ...],  # one list per pause
     "context": <dataclass context as a dict> | None}

Observation only, nothing in the fixtures is edited or wrapped:

* model calls come from the fake models' call log (``fake_model.recording()``, a context variable
  that the models append to; it also sees nested runs: agents-as-tools, LLM guardrails);
* tool calls come from ``RunHooks.on_tool_start`` (``ToolContext.tool_name/tool_call_id/
  tool_arguments``) and are put in the order the model emitted the calls (SDK tools of one
  response run concurrently, so hook order alone is not a stable order);
* approvals: when ``result.interruptions`` is non-empty, the run is snapshotted with
  ``result.to_state().to_string()``, rebuilt with ``RunState.from_string`` (as a fresh process
  would), the case's decisions are applied with ``RunState.approve`` / ``RunState.reject`` and the
  run is resumed with ``Runner.run(agent, state)`` until no interruption is left.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CASES_PATH = ROOT / "fixtures" / "openai_agents" / "cases.json"


def load_cases() -> dict[str, dict[str, Any]]:
    return json.loads(CASES_PATH.read_text())


def resolve(ref: str) -> Any:
    """``"pkg.module:attr"`` -> the object."""
    mod, _, attr = ref.partition(":")
    obj: Any = importlib.import_module(mod)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def jsonable(x: Any) -> Any:
    from pydantic import BaseModel

    if isinstance(x, BaseModel):
        return x.model_dump(mode="json")
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return jsonable(dataclasses.asdict(x))
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    return x


def _parse_args(raw: Any) -> Any:
    if isinstance(raw, str):
        try:
            return json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            return raw
    return raw


def make_context(case: dict[str, Any]) -> Any:
    spec = case.get("context")
    if not spec:
        return None
    factory = resolve(spec["factory"])
    return factory(**spec.get("kwargs", {}))


def _hooks_class():
    from agents import RunHooks

    class RecordingHooks(RunHooks):
        """Run-level hooks: tool starts (with call ids) and which agent each model call belonged to."""

        def __init__(self) -> None:
            self.tool_starts: list[dict[str, Any]] = []
            self.llm_agents: list[str] = []
            self.handoffs: list[tuple[str, str]] = []

        async def on_tool_start(self, context, agent, tool) -> None:
            self.tool_starts.append({
                "name": getattr(context, "tool_name", None) or tool.name,
                "call_id": getattr(context, "tool_call_id", None),
                "arguments": _parse_args(getattr(context, "tool_arguments", None)),
                "agent": agent.name,
            })

        async def on_llm_start(self, context, agent, system_prompt, input_items) -> None:
            self.llm_agents.append(agent.name)

        async def on_handoff(self, context, from_agent, to_agent) -> None:
            self.handoffs.append((from_agent.name, to_agent.name))

    return RecordingHooks


def _context_codec(ctx: Any):
    """(serializer, deserializer) for RunState.to_string/from_string; dataclass contexts round-trip."""
    if ctx is not None and dataclasses.is_dataclass(ctx):
        cls = type(ctx)
        return dataclasses.asdict, (lambda d: cls(**d))
    return None, None


def _pick_decision(decisions: list[dict[str, Any]], used: list[bool], item: Any) -> dict[str, Any]:
    args = _parse_args(item.arguments)
    for i, d in enumerate(decisions):
        if used[i] or d["tool"] != item.tool_name:
            continue
        want = d.get("arguments")
        if want and not (isinstance(args, dict) and all(args.get(k) == v for k, v in want.items())):
            continue
        used[i] = True
        return d
    raise AssertionError(f"no decision left in the case for interruption {item.tool_name}({item.arguments})")


def _error_info(e: BaseException) -> dict[str, Any]:
    from agents import (InputGuardrailTripwireTriggered, OutputGuardrailTripwireTriggered,
                        ToolInputGuardrailTripwireTriggered, ToolOutputGuardrailTripwireTriggered)

    guardrail = None
    if isinstance(e, (InputGuardrailTripwireTriggered, OutputGuardrailTripwireTriggered)):
        guardrail = e.guardrail_result.guardrail.get_name()
    elif isinstance(e, (ToolInputGuardrailTripwireTriggered, ToolOutputGuardrailTripwireTriggered)):
        guardrail = e.guardrail.get_name()
    return {"type": type(e).__name__, "guardrail": guardrail}


async def run_native_async(case: dict[str, Any] | str, raw: dict[str, Any] | None = None) -> dict[str, Any]:
    """See ``run_native``."""
    from agents import AgentsException, RunConfig, Runner, RunState

    from agentc.fixtures.openai_agents.fake_model import recording

    if isinstance(case, str):
        case = load_cases()[case]
    agent = resolve(case["ref"])
    ctx = make_context(case)
    hooks = _hooks_class()()
    kwargs: dict[str, Any] = {"hooks": hooks}
    if case.get("max_turns") is not None:
        kwargs["max_turns"] = case["max_turns"]
    if case.get("run_config"):
        kwargs["run_config"] = RunConfig(**case["run_config"])
    decisions = list(case.get("decisions", []))
    used = [False] * len(decisions)
    serializer, deserializer = _context_codec(ctx)

    out: dict[str, Any] = {"final_output": None, "last_agent": None, "model_calls": [], "tool_calls": [],
                           "error": None, "interruptions": [], "context": None}
    current_ctx = ctx
    with recording() as log:
        try:
            result = await Runner.run(agent, case["input"], context=ctx, **kwargs)
            current_ctx = result.context_wrapper.context
            while result.interruptions:
                out["interruptions"].append([{"tool": i.tool_name, "arguments": _parse_args(i.arguments)}
                                             for i in result.interruptions])
                blob = result.to_state().to_string(context_serializer=serializer)
                state = await RunState.from_string(agent, blob, context_deserializer=deserializer)
                for item in state.get_interruptions():
                    d = _pick_decision(decisions, used, item)
                    if d["action"] == "approve":
                        state.approve(item)
                    elif d["action"] == "reject":
                        state.reject(item, rejection_message=d.get("message"))
                    else:
                        raise ValueError(f"unknown decision action {d['action']!r}")
                result = await Runner.run(agent, state, **kwargs)
                current_ctx = result.context_wrapper.context
            out["final_output"] = jsonable(result.final_output)
            out["last_agent"] = result.last_agent.name
        except AgentsException as e:
            out["error"] = _error_info(e)
            run_data = getattr(e, "run_data", None)
            if run_data is not None:
                out["last_agent"] = run_data.last_agent.name
                current_ctx = run_data.context_wrapper.context
    if decisions and not all(used):
        raise AssertionError(f"unused approval decisions: {[d for d, u in zip(decisions, used) if not u]}")

    out["model_calls"] = model_calls(log)
    order = log.call_order
    starts = sorted(enumerate(hooks.tool_starts),
                    key=lambda p: (order.get(p[1]["call_id"], len(order)), p[0]))
    out["tool_calls"] = [[s["name"], s["arguments"]] for _, s in starts]
    out["context"] = jsonable(current_ctx) if current_ctx is not None else None
    if raw is not None:  # raw observations, for tests
        raw.update(calls=list(log.calls), call_order=dict(order), tool_starts=list(hooks.tool_starts),
                   llm_agents=list(hooks.llm_agents), handoffs=list(hooks.handoffs))
    return out


def run_native(case: dict[str, Any] | str, raw: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run one case (a cases.json entry, or its name) natively; see the module docstring.

    If ``raw`` is a dict it is filled with the raw observations (fake-model call log with the rule
    that answered each call, emitted call-id order, hook records)."""
    return asyncio.run(run_native_async(case, raw))


def approval_value(case: dict[str, Any], interrupts: list[dict[str, Any]]) -> dict[str, Any]:
    """The case's decisions as ``agentc resume --value`` for agentc's pending approvals."""
    used = [False] * len(case.get("decisions", []))
    value: dict[str, Any] = {"approve": [], "reject": []}
    for p in interrupts:
        args = p.get("arguments")
        for i, d in enumerate(case["decisions"]):
            want = d.get("arguments") or {}
            if want and not (isinstance(args, dict) and all(args.get(k) == v for k, v in want.items())):
                continue  # the decision is for another call of this tool (as _pick_decision)
            if not used[i] and d["tool"] == p["tool"]:
                used[i] = True
                value[d["action"]].append(p["id"] if d["action"] == "approve"
                                          else {"id": p["id"], "message": d.get("message")})
                break
    return value


def model_calls(log: Any) -> list[dict[str, Any]]:
    """A ``recording()`` log as compared with ``run_native``'s ``model_calls``."""
    return [{"agent": c["agent"], "items": c["items"], "digest": c["digest"]} for c in log.calls]


def assert_same_run(got: dict[str, Any], native: dict[str, Any]) -> None:
    """A compiled run (``final_output``, ``last_agent``, ``error``: a Diagnostic or None,
    ``model_calls``) against ``run_native``: the same model calls, and the same output
    or the same error (AC304 for max_turns, AC303 naming the guardrail for tripwires)."""
    assert got["model_calls"] == native["model_calls"]
    if native["error"] is None:
        assert got["error"] is None, got["error"].render()
        assert got["final_output"] == native["final_output"]
        assert got["last_agent"] == native["last_agent"]
    else:
        d = got["error"]
        assert d is not None, f"expected {native['error']}"
        assert d.code.value == {"MaxTurnsExceeded": "AC304"}.get(native["error"]["type"], "AC303")
        if native["error"]["guardrail"]:
            assert repr(native["error"]["guardrail"]) in d.message
