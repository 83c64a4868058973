"""Static breakpoints and a root-graph Command.PARENT as LangGraph handles them, on the
local executor and the Conductor simulation: no pause after the run's last step, a value
given to a breakpoint is ignored, a Send-only node pauses before, and Command.PARENT from
the root graph fails the run."""
import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.errors import ParentCommand
from langgraph.types import Command

import agentc
import breakpoint_graphs as G
import harness
from agentc.errors import RunFailed
from agentc.targets.conductor.simulate import NO_VALUE, Simulation


def native(graph, inp, resumes):
    app = graph.builder.compile(checkpointer=InMemorySaver(), interrupt_before=graph.interrupt_before_nodes,
                                interrupt_after=graph.interrupt_after_nodes)
    cfg = {"configurable": {"thread_id": "t"}}
    out, pauses = app.invoke(inp, cfg), 0
    for answer in resumes:
        assert app.get_state(cfg).next  # paused
        pauses += 1
        out = app.invoke(None if answer is NO_VALUE else Command(resume=answer), cfg)
    assert not app.get_state(cfg).next
    return harness.normalise(out), pauses


def local(graph, inp, resumes, tmp_path):
    from agentc.targets.local.executor import NO_VALUE as LOCAL_NO_VALUE

    db = str(tmp_path / "r.db")
    out, pauses = agentc.run(graph, inp, db=db), 0
    for answer in resumes:
        assert out.status == "waiting"
        pauses += 1
        out = agentc.resume(out.run_id, LOCAL_NO_VALUE if answer is NO_VALUE else answer, db=db, obj=graph)
    assert out.status == "done", out.interrupts
    return harness.normalise(out.output), pauses


def conductor(graph, inp, resumes, tmp_path):
    agentc.compile(graph, target="conductor").write(tmp_path / "out")
    sim = Simulation.of(tmp_path / "out", graph)
    out, pauses = sim.start(inp), 0
    for answer in resumes:
        assert out.status == "waiting"
        pauses += 1
        out = sim.resume(answer)
    assert out.status == "done", out.interrupts
    return harness.normalise(out.output), pauses


CASES = {"after_last": [], "before_b": ["ignored"], "before_send": [NO_VALUE]}


@pytest.mark.parametrize("engine", [local, conductor])
@pytest.mark.parametrize("name", sorted(CASES))
def test_breakpoints_match_langgraph(name, engine, tmp_path):
    graph = getattr(G, name)
    assert engine(graph, {"log": []}, CASES[name], tmp_path) == native(graph, {"log": []}, CASES[name])


@pytest.mark.parametrize("engine", [local, conductor])
def test_root_parent_command_fails_like_langgraph(engine, tmp_path):
    with pytest.raises(ParentCommand):
        G.root_parent.invoke({"log": []})
    with pytest.raises(RunFailed) as exc:
        engine(G.root_parent, {"log": []}, [], tmp_path)
    assert "ParentCommand" in str(exc.value) and exc.value.code.value == "AC300"
