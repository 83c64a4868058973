"""Graph forks on the engines past answered pauses (docs/replay.md "Graph forks on the
engines"): a fork starts with the original's recorded answers, as a local fork is seeded
with them — a breakpoint passed before the fork point is released without waiting (one
after it waits again), and an ``interrupt()`` reached again gets the original's answer —
on the Conductor simulation and on Temporal, with the local fork's status and result
and native LangGraph time travel's (``update_state(..., as_node=...)`` then
``invoke(None, ...)``, answering the same pauses with the same values)."""
import asyncio

import agentc
import harness as H
from agentc.audit import fork, history
from agentc.audit.engine_fork import fork_on_engine
from agentc.targets.conductor.simulate import Simulation
from agentc.targets.temporal import engine
from langgraph.types import Command

CASES = ("breakpoints", "hitl_review")
ALTERED = {"hitl_review": ("write_draft", {"draft": "An altered draft."}),
           "breakpoints": ("draft", {"body": "Intro. Altered details."})}


def on_conductor(tmp_path, name):
    folder = tmp_path / "art"
    agentc.compile(H.ref(name), target="conductor").write(folder)
    sim = Simulation.of(str(folder))
    out = sim.start(H.CASES[name]["input"])
    for answer in H.CASES[name]["resumes"]:
        out = sim.resume() if answer is None else sim.resume(answer)
    assert out.status == "done"
    sim.save(tmp_path / "sims" / f"{out.run_id}.json")
    return out.run_id, str(tmp_path / "sims")


def local(tmp_path, name):
    db = str(tmp_path / "local.db")
    out = agentc.run(H.ref(name), H.CASES[name]["input"], db=db, run_id="l")
    for answer in H.CASES[name]["resumes"]:
        out = agentc.resume("l", answer, db=db)
    assert out.status == "done"
    return db, history("l", db=db)


def native_time_travel(name, node, value):
    """LangGraph's fork: the checkpoint where ``node`` ran, its output replaced there, then
    run on, each pause answered with the original's answers in order (a breakpoint with
    ``None``, an interrupt with its value), as the original was."""
    from langgraph.checkpoint.memory import InMemorySaver

    mod = __import__(H.ref(name).split(":")[0], fromlist=["builder"])
    kw = {"interrupt_before": ["review"], "interrupt_after": ["draft"]} if name == "breakpoints" else {}
    g = mod.builder.compile(checkpointer=InMemorySaver(), **kw)
    cfg = {"configurable": {"thread_id": "t"}}
    g.invoke(H.CASES[name]["input"], cfg)
    for answer in H.CASES[name]["resumes"]:
        g.invoke(None if answer is None else Command(resume=answer), cfg)
    before = next(s for s in g.get_state_history(cfg) if s.next == (node,))
    cfg2 = g.update_state(before.config, value, as_node=node)
    out = g.invoke(None, cfg2)
    # the original's answers again, to pauses reached after the fork point (the thread's
    # latest checkpoint is now the fork's)
    for answer in H.CASES[name]["resumes"]:
        if not g.get_state(cfg).next:
            break
        if answer is None:  # a breakpoint after the fork point: the local fork waits there
            return "waiting", None
        out = g.invoke(Command(resume=answer), cfg)
    return ("waiting", None) if g.get_state(cfg).next else ("done", out)


def check(name, h, do_fork, tmp_path):
    """Every node event of the record: the engine fork's status and result are the local
    fork's; the altered node: native time travel's too."""
    db, loc = local(tmp_path / "l", name)
    ours = [e for e in h.events if e.kind == "node"]
    theirs = [e for e in loc.events if e.kind == "node"]
    assert [(e.name, e.step) for e in ours] == [(e.name, e.step) for e in theirs]
    statuses = []
    for i, (e, le) in enumerate(zip(ours, theirs)):
        f = do_fork(e.seq, None)
        lf = fork("l", db=db, at=le.seq, new_run_id=f"lf{i}")
        statuses.append(f.status)
        assert f.status == lf.status, (e.name, f.status, lf.status)
        if f.status == "done":
            assert H.normalise(f.outcome.output) == H.normalise(lf.replayed.output)
    node, value = ALTERED[name]
    at = next(e for e in ours if e.name == node)
    f = do_fork(at.seq, value)
    lf = fork("l", db=db, at=next(e.seq for e in theirs if e.name == node), value=value, new_run_id="lfv")
    status, native = native_time_travel(name, node, value)
    assert f.status == lf.status == status
    if status == "done":
        assert H.normalise(f.outcome.output) == H.normalise(lf.replayed.output) == H.normalise(native)
    return statuses


def test_conductor_graph_fork_passes_breakpoints_answered_before_the_fork_point(tmp_path):
    run_id, state = on_conductor(tmp_path, "breakpoints")
    h = history(run_id, engine="conductor", state_dir=state)
    statuses = check("breakpoints", h, lambda at, v: fork_on_engine(
        run_id, engine="conductor", at=at, state_dir=state, **({} if v is None else {"value": v})), tmp_path)
    # outline, draft, fact_check wait at a breakpoint after the fork point; review and publish pass both
    assert statuses == ["waiting", "waiting", "waiting", "done", "done"]


def test_conductor_graph_fork_gives_recorded_interrupt_answers(tmp_path):
    run_id, state = on_conductor(tmp_path, "hitl_review")
    h = history(run_id, engine="conductor", state_dir=state)
    statuses = check("hitl_review", h, lambda at, v: fork_on_engine(
        run_id, engine="conductor", at=at, state_dir=state, **({} if v is None else {"value": v})), tmp_path)
    assert statuses == ["done", "done", "done"]  # review re-run live gets the original's answers


async def _on_temporal(address, tmp_path, name):
    client = await engine.connect(address)
    async with engine.running_worker(client, engine.load(H.ref(name), tmp_path / "code")):
        out = await engine.start(H.ref(name), address, H.CASES[name]["input"], client=client)
        for answer in H.CASES[name]["resumes"]:
            out = await engine.resume(out.run_id, address, None if answer is None else answer, client=client)
        assert out.status == "done", out
        return out.run_id


def test_temporal_graph_forks_past_answered_pauses(temporal_address, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the in-process worker's generated code goes under .agentc/
    for name, expected in (("breakpoints", ["waiting", "waiting", "waiting", "done", "done"]),
                           ("hitl_review", ["done", "done", "done"])):
        run_id = asyncio.run(_on_temporal(temporal_address, tmp_path / name, name))
        h = history(run_id, engine="temporal", address=temporal_address)

        def do_fork(at, value, run_id=run_id):
            return fork_on_engine(run_id, engine="temporal", at=at, address=temporal_address,
                                  with_worker=True, **({} if value is None else {"value": value}))

        assert check(name, h, do_fork, tmp_path / name) == expected


def _answers(h):
    """Where a history shows its answers: each ``resume`` with the node event before it."""
    out, last = [], None
    for e in h.events:
        if e.kind == "node":
            last = e.name
        elif e.kind == "resume":
            out.append(last)
    return out


def test_temporal_graph_fork_history_shows_the_answers_it_started_with(temporal_address, tmp_path,
                                                                       monkeypatch):
    """A Temporal fork starts with the original's answers (it gets no ``resume`` signal), and
    its history showed none of them; now each where the fork used it, with the value the
    original's signal had — as the Conductor fork's history shows the HUMAN tasks its driver
    completed. A node answered from the record never pauses (on either engine): the answers
    it got in the original are shown before its writes. So a fork that changed nothing has
    no trajectory diff on either engine, and ``agentc history`` of it lists the answers."""
    monkeypatch.chdir(tmp_path)  # the in-process worker's generated code goes under .agentc/
    for name, forks_at in (("breakpoints", ("review", "publish")),
                           ("hitl_review", ("write_draft", "review", "publish"))):
        run_id = asyncio.run(_on_temporal(temporal_address, tmp_path / name, name))
        h = history(run_id, engine="temporal", address=temporal_address)
        cid, state = on_conductor(tmp_path / name / "c", name)
        ch = history(cid, engine="conductor", state_dir=state)
        assert _answers(h) == _answers(ch) and _answers(h)
        for node in forks_at:
            f = fork_on_engine(run_id, engine="temporal", at=next(e.seq for e in h.events if e.name == node),
                               address=temporal_address, with_worker=True)
            cf = fork_on_engine(cid, engine="conductor", at=next(e.seq for e in ch.events if e.name == node),
                                state_dir=state)
            assert (f.status, cf.status, f.diff, cf.diff) == ("done", "done", [], []), (name, node, f.diff)
            plain = history(f.replayed.run_id, engine="temporal", address=temporal_address)  # `agentc history`
            given = [e for e in plain.events if e.kind == "resume"]
            assert [e.data["value"] for e in given] == [e.data["value"] for e in h.events if e.kind == "resume"]
            assert all(e.data.get("forked") == "record" for e in given)
            assert _answers(plain) == _answers(h) == _answers(history(cf.replayed.run_id, engine="conductor",
                                                                      state_dir=state))
