"""``run_view`` (the journal reader behind ``agentc ui``) against LangGraph itself.

The state a person sees "after step N" is rebuilt from the journal's per-task writes; the
oracle is LangGraph's own checkpoint history (``get_state_history``) of the same graph on
the same input: every superstep's values must agree, reducers and ``Send`` fan-out
included. The timeline must list the nodes in the order LangGraph ran them.
"""
from __future__ import annotations

import uuid

import agentc
import pytest
from agentc.targets.local.run_view import RunView
from harness import CASES, module, normalise, ref


def _native_history(name: str) -> dict[int, dict]:
    from langgraph.checkpoint.memory import InMemorySaver

    g = module(name).graph
    app = g.builder.compile(checkpointer=InMemorySaver())
    cfg = {"configurable": {"thread_id": uuid.uuid4().hex}}
    app.invoke(CASES[name]["input"], cfg)
    return {s.metadata["step"]: s for s in app.get_state_history(cfg) if s.metadata["step"] >= 0}


@pytest.mark.parametrize("name", ["chain", "branching", "map_reduce", "router_loop", "command_goto"])
def test_state_after_every_step_matches_langgraph_history(tmp_path, name):
    db = str(tmp_path / "runs.db")
    out = agentc.run(ref(name), CASES[name]["input"], db=db)
    assert out.status == "done"
    native = _native_history(name)
    view = RunView(db)
    steps = view.steps(out.run_id)
    assert steps == sorted(native), (steps, sorted(native))
    for step in steps:
        got = view.state_at(out.run_id, step)["values"]
        assert normalise(got) == normalise(native[step].values), f"{name} after step {step}"
    # the timeline's node events in LangGraph's order (its checkpoints' ``next`` per step)
    ran = [(e.step, e.title) for e in view.timeline(out.run_id) if e.kind == "node"]
    want = sorted((step + 1, n) for step, s in native.items() for n in s.next)
    assert sorted(ran) == want


def test_folded_state_is_not_the_checkpoint_shortcut(tmp_path):
    """Every step but the last is rebuilt from writes (the fold is what is being tested
    above, not the journal's latest checkpoint)."""
    db = str(tmp_path / "runs.db")
    out = agentc.run(ref("branching"), CASES["branching"]["input"], db=db)
    view = RunView(db)
    flags = [view.state_at(out.run_id, s)["checkpoint"] for s in view.steps(out.run_id)]
    assert flags[-1] is True and not any(flags[:-1])


AGENT_CASES = ["research_assistant", "triage_refund", "math_tutor", "weather_lookup", "pii_filter_pass"]


@pytest.mark.parametrize("name", AGENT_CASES)
def test_agent_timeline_has_the_sdk_s_model_and_tool_calls(tmp_path, name):
    """The timeline of an agent run lists the model calls (nested agents-as-tools
    included, named by their own agent) in the order ``Runner.run`` made them, and the
    tool calls it made; the diagram's counts agree."""
    from collections import Counter

    import openai_agents_oracle as O

    case = O.load_cases()[name]
    db = str(tmp_path / "runs.db")
    out = agentc.run(case["ref"], case["input"], db=db, context=O.make_context(case))
    assert out.status == "done"
    native = O.run_native(case)
    view = RunView(db)
    events = view.timeline(out.run_id)
    models = [e.node for e in events if e.kind == "model"]
    assert models == [c["agent"] for c in native["model_calls"]]
    tools = [e.title.rpartition(": ")[2] for e in events if e.kind == "tool"]
    assert Counter(tools) == Counter(n for n, _ in native["tool_calls"])
    taken = view.taken(out.run_id)
    assert {k: v for k, v in taken.items() if "/" not in k and k != "__start__"} == dict(Counter(models))
