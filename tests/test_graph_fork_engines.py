"""LangGraph graph runs on Temporal and in the Conductor simulation (docs/replay.md):

* each chat-model call a node makes is in the engine's history (``model`` events in order,
  the local history's), and a replay of the engine's transcript makes zero model calls;
* ``agentc fork RUN --engine temporal|conductor --at N [--set JSON]`` of a graph is a new
  run whose forked prefix is answered from the record — zero node, tool or model calls
  there — and whose result is the local fork's and native LangGraph time travel's
  (``update_state(checkpoint, value, as_node=...)`` then ``invoke(None, ...)``) with the
  same scripted change;
* bad requests are the local fork's diagnostics (exit 2), refusals are AC200."""
import asyncio
import json
import subprocess
import sys
import uuid

import agentc
import harness as H
from agentc.audit import fork, history, replay, trajectory
from agentc.audit.engine_fork import fork_on_engine
from agentc.fixtures.langgraph import react_agent
from agentc.targets.conductor.simulate import Simulation
from agentc.targets.temporal import engine
from test_replay_chat import INPUT, PROMPT, scripted_native

REF = H.ref("react_agent")
NODE_VALUE = {"messages": [{"type": "ai", "content": "",
                            "tool_calls": [{"name": "count_vowels", "args": {"text": "xyz oo"}, "id": "c1"}]}]}
CHAT_VALUE = {"type": "ai", "content": "", "tool_calls": [{"name": "count_vowels", "args": {"text": "xyz oo"},
                                                           "id": "c1"}]}


class Calls:
    """Counts what the fixture really runs: chat-model generations and tool calls."""

    def __enter__(self):
        self.model, self.tools = [], []
        self.saved = (react_agent.RuleBasedChatModel._generate, react_agent.count_words.func,
                      react_agent.count_vowels.func)
        gen, words, vowels = self.saved
        react_agent.RuleBasedChatModel._generate = lambda m, *a, **k: (self.model.append(1), gen(m, *a, **k))[1]
        react_agent.count_words.func = lambda text: (self.tools.append("count_words"), words(text))[1]
        react_agent.count_vowels.func = lambda text: (self.tools.append("count_vowels"), vowels(text))[1]
        return self

    def __exit__(self, *exc):
        gen, words, vowels = self.saved
        react_agent.RuleBasedChatModel._generate = gen
        react_agent.count_words.func, react_agent.count_vowels.func = words, vowels


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "agentc.cli", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd)


def on_conductor(tmp_path, ref=REF, value=INPUT):
    folder = tmp_path / "art"
    agentc.compile(ref, target="conductor").write(folder)
    sim = Simulation.of(str(folder))
    out = sim.start(value)
    sim.save(tmp_path / "sims" / f"{out.run_id}.json")
    return out.run_id, str(tmp_path / "sims")


async def _on_temporal(address, tmp_path, ref=REF, value=INPUT):
    """The original on a task queue of its own (its forks serve the same queue): the test
    counts the calls this process makes, and another test's worker polling the workflow's
    default queue (``agentc-<graph>``) under ``-n 2`` would take some of them."""
    q = f"forkgraph-{uuid.uuid4().hex[:8]}"
    client = await engine.connect(address)
    async with engine.running_worker(client, engine.load(ref, tmp_path / "code"), q):
        out = await engine.start(ref, address, value, client=client, task_queue=q)
        return out.run_id


def local_run(tmp_path):
    db = str(tmp_path / "runs.db")
    agentc.run(REF, INPUT, db=db, run_id="g")
    return db, history("g", db=db)


def chat_events(h):
    return [(e.name, e.step, e.data["call"], e.data["request_digest"], H.normalise(e.data["response"]))
            for e in h.events if e.kind == "model"]


def seq_of(h, kind, name, step):
    return next(e.seq for e in h.events if (e.kind, e.name, e.step) == (kind, name, step))


def native_time_travel(step, value):
    """LangGraph's own fork: the checkpoint before superstep ``step``, the agent node's
    output replaced there (``update_state(..., as_node="agent")``), then run on."""
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.prebuilt import create_react_agent

    g = create_react_agent(react_agent.model, react_agent.tools, prompt=PROMPT, checkpointer=InMemorySaver())
    cfg = {"configurable": {"thread_id": "t"}}
    g.invoke(INPUT, cfg)
    before = next(s for s in g.get_state_history(cfg) if s.metadata["step"] == step - 1)
    assert before.next == ("agent",)
    return g.invoke(None, g.update_state(before.config, value, as_node="agent"))


def check_node_forks(do_fork, h, tmp_path):
    """Forks at the first and at the last ``agent`` node: the local fork's and native time
    travel's result; the prefix is answered (no model or tool call)."""
    db, local = local_run(tmp_path / "local")
    first, last = seq_of(h, "node", "agent", 1), seq_of(h, "node", "agent", 3)
    with Calls() as c:
        f = do_fork(first, NODE_VALUE)
    # nothing before step 1; the altered node is not called; the tool and the next agent turn are live
    assert (c.tools, len(c.model), f.live_model_calls, f.live_nodes) == (["count_vowels"], 1, 1, 2)
    native = native_time_travel(1, NODE_VALUE)
    loc = fork("g", db=db, at=seq_of(local, "node", "agent", 1), value=NODE_VALUE, new_run_id="lf1")
    assert f.status == "done"
    assert H.normalise(f.outcome.output) == H.normalise(native) == H.normalise(loc.replayed.output)
    assert trajectory.lines(f.replayed) == trajectory.lines(loc.replayed)
    assert f.replayed.origin["origin"] == h.run_id and f.replayed.origin["at"] == first
    final = {"messages": [{"type": "ai", "content": "Stats: altered"}]}
    with Calls() as c:
        g = do_fork(last, final)
    assert (c.model, c.tools, g.live_model_calls, g.live_nodes) == ([], [], 0, 0)  # the whole prefix answered
    native = native_time_travel(3, final)
    loc = fork("g", db=db, at=seq_of(local, "node", "agent", 3), value=final, new_run_id="lf2")
    assert H.normalise(g.outcome.output) == H.normalise(native) == H.normalise(loc.replayed.output)
    assert native["messages"][-1].content == "Stats: altered"
    assert trajectory.lines(g.replayed) == trajectory.lines(loc.replayed)  # chat calls of the prefix shown


def check_chat_fork(do_fork, h, tmp_path):
    """A fork at the first chat call: the ``agent`` node re-runs with that reply, then live;
    the result is ``graph.invoke`` with a model scripted to give that reply first."""
    first = next(e.seq for e in h.events if e.kind == "model")
    with Calls() as c:
        f = do_fork(first, CHAT_VALUE)
    assert (c.tools, len(c.model), f.live_model_calls) == (["count_vowels"], 1, 1)
    native = scripted_native({k: v for k, v in CHAT_VALUE.items() if k != "type"})
    assert H.normalise(f.outcome.output) == H.normalise(native)
    db, local = local_run(tmp_path / "chat")
    loc = replay("g", db=db, at=next(e.seq for e in local.events if e.kind == "model"), value=CHAT_VALUE)
    assert trajectory.lines(f.replayed) == trajectory.lines(loc.replayed)
    last = [e.seq for e in h.events if e.kind == "model"][-1]
    with Calls() as c:
        g = do_fork(last, "Stats: none")
    assert (c.model, c.tools, g.live_model_calls) == ([], [], 0)
    assert g.outcome.output["messages"][-1]["content"] == "Stats: none"


# ---------------------------------------------------------------- Conductor simulation
def test_conductor_graph_history_lists_chat_calls_and_its_transcript_replays_without_calls(tmp_path):
    run_id, state = on_conductor(tmp_path)
    h = history(run_id, engine="conductor", state_dir=state)
    _, local = local_run(tmp_path / "local")
    assert chat_events(h) == chat_events(local) and len(chat_events(h)) == 2
    assert [e.kind for e in h.events] == [e.kind for e in local.events]  # each call before its node's writes
    path = tmp_path / "t.json"
    r = cli("export", run_id, "--engine", "conductor", "--state-dir", state, "-o", str(path))
    assert r.returncode == 0, r.stderr
    with Calls() as c:
        rep = replay(str(path), then="stop")
    assert (rep.status, rep.diff, c.model, c.tools, rep.live_model_calls, rep.live_nodes) == \
        ("done", [], [], [], 0, 0)


def test_conductor_graph_fork_at_a_node_matches_local_fork_and_native_time_travel(tmp_path):
    run_id, state = on_conductor(tmp_path)
    h = history(run_id, engine="conductor", state_dir=state)
    check_node_forks(lambda at, v: fork_on_engine(run_id, engine="conductor", at=at, value=v, state_dir=state),
                     h, tmp_path)


def test_conductor_graph_fork_at_a_chat_call_matches_a_scripted_native_run(tmp_path):
    run_id, state = on_conductor(tmp_path)
    h = history(run_id, engine="conductor", state_dir=state)
    check_chat_fork(lambda at, v: fork_on_engine(run_id, engine="conductor", at=at, value=v, state_dir=state),
                    h, tmp_path)


def test_conductor_graph_fork_bad_requests_exit_2(tmp_path):
    run_id, state = on_conductor(tmp_path)
    h = history(run_id, engine="conductor", state_dir=state)
    node = seq_of(h, "node", "agent", 1)
    chat = next(e.seq for e in h.events if e.kind == "model")
    status = next(e.seq for e in h.events if e.kind == "status")
    for args, code in [((run_id, "--at", "99"), "AC132"), ((run_id, "--at", str(status)), "AC132"),
                       ((run_id, "--at", "1"), "AC132"),
                       ((run_id, "--at", str(node), "--set", '{"nope": 1}'), "AC133"),
                       ((run_id, "--at", str(node), "--set", "[1, 2]"), "AC133"),
                       ((run_id, "--at", str(chat), "--set", '{"type": "human", "content": "x"}'), "AC133")]:
        r = cli("fork", *args, "--engine", "conductor", "--state-dir", state)
        assert r.returncode == 2 and code in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)
    assert sorted(p.stem for p in (tmp_path / "sims").iterdir()) == [run_id]  # nothing was started


def test_conductor_graph_fork_cli_names_the_origin(tmp_path):
    run_id, state = on_conductor(tmp_path)
    h = history(run_id, engine="conductor", state_dir=state)
    at = seq_of(h, "node", "agent", 3)
    r = cli("fork", run_id, "--engine", "conductor", "--state-dir", state, "--at", str(at), "--set",
            json.dumps({"messages": [{"type": "ai", "content": "done here"}]}), "--run-id", "gf", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert (out["run_id"], out["status"], out["live_model_calls"]) == ("gf", "done", 0)
    r = cli("history", "gf", "--engine", "conductor", "--state-dir", state)
    assert r.returncode == 0 and r.stdout.splitlines()[1].startswith(f"fork of {run_id} at event {at}")


# ---------------------------------------------------------------- Temporal
def test_temporal_graph_history_lists_chat_calls_and_its_transcript_replays_without_calls(temporal_address,
                                                                                         tmp_path):
    run_id = asyncio.run(_on_temporal(temporal_address, tmp_path))
    h = history(run_id, engine="temporal", address=temporal_address)
    _, local = local_run(tmp_path / "local")
    assert chat_events(h) == chat_events(local) and len(chat_events(h)) == 2
    assert [e.kind for e in h.events] == [e.kind for e in local.events]
    path = tmp_path / "t.json"
    r = cli("export", run_id, "--engine", "temporal", "--address", temporal_address, "-o", str(path))
    assert r.returncode == 0, r.stderr
    with Calls() as c:
        rep = replay(str(path), then="stop")
    assert (rep.status, rep.diff, c.model, c.tools, rep.live_model_calls, rep.live_nodes) == \
        ("done", [], [], [], 0, 0)


def test_temporal_graph_forks_match_local_fork_and_native_time_travel(temporal_address, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the in-process worker's generated code goes under .agentc/
    run_id = asyncio.run(_on_temporal(temporal_address, tmp_path))
    h = history(run_id, engine="temporal", address=temporal_address)

    def do_fork(at, value):
        return fork_on_engine(run_id, engine="temporal", at=at, value=value, address=temporal_address,
                              with_worker=True)

    check_node_forks(do_fork, h, tmp_path)
    check_chat_fork(do_fork, h, tmp_path)


def test_temporal_graph_fork_cli_and_bad_requests(temporal_address, tmp_path):
    run_id = asyncio.run(_on_temporal(temporal_address, tmp_path))
    h = history(run_id, engine="temporal", address=temporal_address)
    address = ("--engine", "temporal", "--address", temporal_address)
    at = seq_of(h, "node", "agent", 3)
    r = cli("fork", run_id, *address, "--with-worker", "--at", str(at), "--set",
            json.dumps({"messages": [{"type": "ai", "content": "done here"}]}), "--run-id", f"{run_id}-g",
            cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert f"forked {run_id} at event {at} -> {run_id}-g (done)" in r.stderr
    assert "nodes run live: 0" in r.stdout and '+  write messages = [{"content": "done here"' in r.stdout
    node = seq_of(h, "node", "agent", 1)
    for args, code in [((run_id, "--at", "99"), "AC132"),
                       ((run_id, "--at", str(node), "--set", '{"nope": 1}'), "AC133")]:
        r = cli("fork", *args, *address)
        assert r.returncode == 2 and code in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)
