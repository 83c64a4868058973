"""A node fails inside a graph another node invokes (``child.invoke(...)``): LangGraph's
``invoke(None, config)`` after the failure continues the child from its last checkpoint
(its completed nodes are not run again) unless the child is ``checkpointer=False``;
``agentc resume`` on the local executor must do the same (issue 16, Task 2a)."""
import pytest
from langgraph.checkpoint.memory import InMemorySaver

import agentc
import failing_invoked_graphs as G
import harness
from agentc.errors import RunFailed


def native(graph):
    app = graph.builder.compile(checkpointer=InMemorySaver())
    cfg = {"configurable": {"thread_id": "t"}}
    G.CALLS.clear()
    G.FAILS["second"] = 1
    with pytest.raises(RuntimeError):
        app.invoke({"log": []}, cfg)
    G.CALLS.append("--resume--")
    return harness.normalise(app.invoke(None, cfg)), list(G.CALLS)


def local(graph, tmp_path):
    db = str(tmp_path / "r.db")
    G.CALLS.clear()
    G.FAILS["second"] = 1
    with pytest.raises(RunFailed) as exc:
        agentc.run(graph, {"log": []}, db=db, run_id="r1")
    assert exc.value.code.value == "AC300"
    G.CALLS.append("--resume--")
    out = agentc.resume("r1", db=db, obj=graph)
    return harness.normalise(out.output), list(G.CALLS)


@pytest.mark.parametrize("mode", sorted(G.MODES))
def test_local_resume_continues_the_failed_child_like_langgraph(mode, tmp_path):
    g = getattr(G, mode)
    assert local(g, tmp_path) == native(g)


def test_the_oracle_tells_continuing_from_restarting():
    assert native(G.borrowed)[1][-3:] == ["--resume--", "call", "second"]
    assert native(G.stateless)[1][-4:] == ["--resume--", "call", "first", "second"]


def temporal(graph, tmp_path, address):
    import asyncio
    import uuid

    from agentc.targets.temporal import engine

    async def go():
        client = await engine.connect(address)
        q = f"childfail-{uuid.uuid4().hex[:8]}"
        async with engine.running_worker(client, engine.load(graph, tmp_path / "code"), q):
            G.CALLS.clear()
            G.FAILS["second"] = 1
            with pytest.raises(RunFailed) as exc:
                await asyncio.wait_for(engine.start(graph, address, {"log": []}, client=client, task_queue=q,
                                                    run_id=f"{q}-run"), 60)
            assert exc.value.code.value == "AC300"
            G.CALLS.append("--resume--")
            out = await asyncio.wait_for(engine.resume(f"{q}-run", address, client=client), 60)
            return harness.normalise(out.output), list(G.CALLS)

    return asyncio.run(go())


@pytest.mark.parametrize("mode", sorted(G.MODES))
def test_temporal_resume_continues_the_failed_child_like_langgraph(mode, tmp_path, temporal_address):
    g = getattr(G, mode)
    assert temporal(g, tmp_path, temporal_address) == native(g)
