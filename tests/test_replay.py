"""``agentc replay`` / ``agentc fork`` (docs/replay.md): a recorded run re-run on the local
executor reproduces its trajectory with zero model calls; an altered step changes exactly
what follows it, the same way a native run (``Runner.run``, ``graph.invoke``) does with
the same scripted model output; bad requests are diagnostics (exit 2)."""
import json
import subprocess
import sys

import agentc
import harness as H
import openai_agents_oracle as O
import pytest
from agentc.audit import history, replay
from agentc.errors import AgentcError, RunFailed
from agentc.fixtures.openai_agents.fake_model import recording

AGENT_CASES = O.load_cases()


def run_agent_case(case, db, run_id):
    try:
        out = agentc.run(case["ref"], case["input"], db=db, context=O.make_context(case),
                         recursion_limit=case.get("max_turns"), run_id=run_id)
        while out.status == "waiting":
            out = agentc.resume(out.run_id, O.approval_value(case, out.interrupts), db=db)
    except RunFailed:
        pass


def run_graph_case(name, db, run_id):
    case = H.CASES[name]
    out = agentc.run(H.ref(name), case["input"], db=db, context=case.get("context"), run_id=run_id)
    for answer in case["resumes"]:
        out = agentc.resume(out.run_id, H.agentc_answer(name, out, answer), db=db)
    assert out.status == "done"


RACING_GUARDRAIL = {"homework_guard_trip": "History Tutor"}


@pytest.mark.parametrize("live_tools", [False, True], ids=["recorded-tools", "live-tools"])
@pytest.mark.parametrize("name", sorted(AGENT_CASES))
def test_agent_replay_reproduces_trajectory_with_zero_model_calls(name, live_tools, tmp_path):
    db = str(tmp_path / "runs.db")
    run_agent_case(AGENT_CASES[name], db, "r")
    with recording() as log:  # then="stop": any step the record lacks would stop the replay
        r = replay("r", db=db, then="stop", live_tools=live_tools)
    assert log.calls == []
    assert (r.status, r.stopped, r.live_model_calls) == (history("r", db=db).status, None, 0)
    if name in RACING_GUARDRAIL:
        # the SDK runs an input guardrail concurrently with the first model turn: the recorded
        # run's turn had started when the tripwire fired; replayed, the tripwire fires at once
        # and the turn is never asked for. Everything else is the same.
        changed = [line for line in r.diff if line[:1] in "+-" and line[:3] not in ("---", "+++")]
        assert changed and all(line.startswith("-") for line in changed), r.diff
        assert changed[0] == f"-model {RACING_GUARDRAIL[name]}"
    else:
        assert r.diff == []
    assert r.replayed.output == r.original.output


GRAPH_CASES = sorted(n for n in H.CASES if n not in ("functional_refused",))


@pytest.mark.parametrize("name", GRAPH_CASES)
def test_graph_replay_reproduces_trajectory_without_running_a_node(name, tmp_path):
    db = str(tmp_path / "runs.db")
    run_graph_case(name, db, "g")
    r = replay("g", db=db, then="stop")  # strict: a node that would run live stops the replay
    assert (r.status, r.stopped, r.live_nodes) == ("done", None, 0), r.stopped
    assert r.diff == []
    assert H.normalise(r.replayed.output) == H.normalise(r.original.output)


# ---------------------------------------------------------------- altered steps vs native runs
class Scripted:
    """An agents ``Model`` whose first answer is scripted; later ones are ``inner``'s."""

    def __new__(cls, first, inner):
        from agents.items import ModelResponse
        from agents.models.interface import Model
        from agents.usage import Usage
        from openai.types.responses import ResponseOutputItem
        from pydantic import TypeAdapter

        items = TypeAdapter(list[ResponseOutputItem]).validate_python(first)

        class _Scripted(Model):
            calls = 0

            async def get_response(self, *args, **kwargs):
                type(self).calls += 1
                if type(self).calls == 1:
                    return ModelResponse(output=items, usage=Usage(), response_id="scripted")
                return await inner.get_response(*args, **kwargs)

            def stream_response(self, *args, **kwargs):
                raise NotImplementedError

        return _Scripted()


def native_agent_run(agent, input):
    import asyncio

    from agents import RunHooks, Runner

    calls = []

    class Hooks(RunHooks):
        async def on_tool_start(self, context, agent, tool):
            calls.append((tool.name, json.loads(context.tool_arguments)))

    result = asyncio.run(Runner.run(agent, input, hooks=Hooks()))
    return {"final_output": result.final_output, "last_agent": result.last_agent.name, "tools": calls}


def replayed_agent_run(r):
    tools = [(e.name, e.data["arguments"]) for e in r.replayed.events if e.kind == "tool"]
    return {**r.replayed.output, "tools": tools}


ALTERED = [{"type": "function_call", "name": "lookup_order", "arguments": '{"order_id": "B-78"}',
            "call_id": "call_alt", "id": "fc_alt", "status": "completed"}]


def test_altered_model_turn_matches_native_run_with_that_turn_scripted(tmp_path):
    from agentc.fixtures.openai_agents import order_status

    db = str(tmp_path / "runs.db")
    run_agent_case(AGENT_CASES["order_status"], db, "o")
    model_turn = next(e.seq for e in history("o", db=db).events if e.kind == "model")
    with recording() as log:
        r = replay("o", db=db, at=model_turn, value=ALTERED)
    native = native_agent_run(order_status.agent.clone(model=Scripted(ALTERED, order_status.agent.model)),
                              AGENT_CASES["order_status"]["input"])
    assert replayed_agent_run(r) == native
    assert native["final_output"] == "SENT: Good news! B-78: packing, arrives in 5 days."
    # the step before the altered one came from the record; after it the agent's own model ran live
    assert r.live_model_calls == len(log.calls) == 1
    assert "+  call lookup_order({\"order_id\": \"B-78\"})" in r.diff


def test_altered_tool_result_changes_what_follows(tmp_path):
    db = str(tmp_path / "runs.db")
    run_agent_case(AGENT_CASES["order_status"], db, "o")
    tool = next(e.seq for e in history("o", db=db).events if e.kind == "tool")
    r = replay("o", db=db, at=tool, value="B-77: lost in transit")
    assert r.replayed.output["final_output"] == "SENT: Good news! B-77: lost in transit."
    first = [e for e in r.replayed.events if e.kind == "tool"][0]
    assert (first.name, first.data["result"]) == ("lookup_order", "B-77: lost in transit")


def test_stop_mode_says_where_the_record_no_longer_applies(tmp_path):
    db = str(tmp_path / "runs.db")
    run_agent_case(AGENT_CASES["order_status"], db, "o")
    model_turn = next(e.seq for e in history("o", db=db).events if e.kind == "model")
    with recording() as log:
        r = replay("o", db=db, at=model_turn, value=ALTERED, then="stop")
    assert log.calls == []
    assert r.status == "stopped"
    # the altered call's tool result is not in the record: that is where it stops
    assert "tool call 'lookup_order'" in r.stopped and "call_alt" in r.stopped


def test_named_model_continues_after_the_altered_step(tmp_path):
    from agentc.fixtures.openai_agents.fake_model import FakeModel, Rule, call

    db = str(tmp_path / "runs.db")
    run_agent_case(AGENT_CASES["order_status"], db, "o")
    model_turn = next(e.seq for e in history("o", db=db).events if e.kind == "model")
    other = FakeModel("other", [Rule("reply", lambda r: True, lambda r: [call("send_reply", message="from other")])])
    r = replay("o", db=db, at=model_turn, value=ALTERED, model=other)
    assert r.replayed.output["final_output"] == "SENT: from other"


def test_altered_graph_node_matches_native_graph_with_that_model_reply(tmp_path):
    from agentc.fixtures.langgraph import react_agent
    from langchain_core.messages import AIMessage
    from langgraph.prebuilt import create_react_agent

    calls = []
    original = react_agent.RuleBasedChatModel._generate

    def counting(self, *a, **k):
        calls.append(1)
        return original(self, *a, **k)

    db = str(tmp_path / "runs.db")
    case_input = {"messages": [{"role": "user", "content": "hello big world"}]}
    agentc.run(H.ref("react_agent"), case_input, db=db, run_id="g")
    node = next(e.seq for e in history("g", db=db).events if e.kind == "node" and e.name == "agent")
    reply = {"type": "ai", "content": "", "tool_calls": [{"name": "count_vowels", "args": {"text": "xyz oo"}, "id": "c1"}]}
    react_agent.RuleBasedChatModel._generate = counting
    try:
        r = replay("g", db=db, at=node, value={"messages": [reply]})
    finally:
        react_agent.RuleBasedChatModel._generate = original

    class ScriptedChat(react_agent.RuleBasedChatModel):
        n: int = 0

        def _generate(self, messages, stop=None, run_manager=None, **kwargs):
            from langchain_core.outputs import ChatGeneration, ChatResult

            self.n += 1
            if self.n == 1:
                return ChatResult(generations=[ChatGeneration(message=AIMessage(
                    content="", tool_calls=reply["tool_calls"]))])
            return super()._generate(messages, stop, run_manager, **kwargs)

    native = create_react_agent(ScriptedChat(), react_agent.tools,
                                prompt="You compute text statistics with tools.").invoke(case_input)
    assert H.normalise(r.replayed.output) == H.normalise(native)
    assert native["messages"][-1].content == "Stats: count_vowels=2"
    assert len(calls) == 1  # the node before came from the record; the one after ran live
    assert r.live_nodes == 2  # the tool node and the next agent turn


def test_strict_replay_of_a_truncated_record_stops_where_it_ends(tmp_path):
    db = str(tmp_path / "runs.db")
    run_graph_case("chain", db, "g")
    h = history("g", db=db)
    last = [e for e in h.events if e.kind == "node"][-1]
    h.events = [e for e in h.events if e is not last]
    r = replay(h, then="stop")
    assert r.status == "stopped" and f"node {last.name!r}" in r.stopped


# ---------------------------------------------------------------- diagnostics
def test_bad_requests_are_diagnostics(tmp_path):
    db = str(tmp_path / "runs.db")
    run_agent_case(AGENT_CASES["order_status"], db, "o")
    with pytest.raises(AgentcError) as e:
        replay("o", db=db, at=99, value=[])
    assert e.value.diagnostic.code.value == "AC132"
    model_turn = next(e.seq for e in history("o", db=db).events if e.kind == "model")
    with pytest.raises(AgentcError) as e:
        replay("o", db=db, at=model_turn, value=[{"type": "function_call", "name": "x"}])
    assert e.value.diagnostic.code.value == "AC133" and "arguments" in e.value.diagnostic.message
    status = next(e.seq for e in history("o", db=db).events if e.kind == "status")
    with pytest.raises(AgentcError) as e:
        replay("o", db=db, at=status, value=1)
    assert e.value.diagnostic.code.value == "AC132"
    run_graph_case("chain", db, "g")
    node = next(e.seq for e in history("g", db=db).events if e.kind == "node")
    with pytest.raises(AgentcError) as e:
        replay("g", db=db, at=node, value={"no_such_key": 1})
    assert e.value.diagnostic.code.value == "AC133" and "no_such_key" in e.value.diagnostic.message


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "agentc.cli", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd)


def test_cli_replay_and_fork(tmp_path):
    db = str(tmp_path / "runs.db")
    run_agent_case(AGENT_CASES["order_status"], db, "o")
    r = cli("replay", "o", "--db", db)
    assert r.returncode == 0, r.stderr
    assert "live model calls: 0" in r.stdout and "identical to the record" in r.stdout
    model_turn = next(e.seq for e in history("o", db=db).events if e.kind == "model")
    r = cli("replay", "o", "--db", db, "--at", str(model_turn), "--set", json.dumps(ALTERED), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["output"]["final_output"] == "SENT: Good news! B-78: packing, arrives in 5 days."
    r = cli("replay", "o", "--db", db, "--at", "99", "--set", "[]")
    assert r.returncode == 2 and "AC132" in r.stderr and "Traceback" not in r.stderr
    r = cli("fork", "o", "--db", db, "--at", str(model_turn), "--set", json.dumps(ALTERED), "--run-id", "o2")
    assert r.returncode == 0, r.stderr
    forked = history("o2", db=db)
    assert forked.status == "done" and forked.output["final_output"].endswith("B-78: packing, arrives in 5 days.")
    assert [row["run_id"] for row in agentc.runs(db)] == ["o", "o2"]


def test_graph_fork_reuses_the_prefix_and_is_a_durable_run(tmp_path):
    from agentc.audit import fork
    from agentc.fixtures.langgraph import react_agent

    db = str(tmp_path / "runs.db")
    case_input = {"messages": [{"role": "user", "content": "hello big world"}]}
    agentc.run(H.ref("react_agent"), case_input, db=db, run_id="g")
    events = history("g", db=db).events
    tools = [e.seq for e in events if e.kind == "node" and e.name == "tools"]
    calls = []
    original = react_agent.RuleBasedChatModel._generate
    react_agent.RuleBasedChatModel._generate = lambda self, *a, **k: (calls.append(1), original(self, *a, **k))[1]
    try:  # fork after the tool steps, the second tool result replaced: only the last agent turn runs
        fork("g", db=db, at=tools[-1], value={"messages": [
            {"type": "tool", "content": "99", "name": "count_words", "tool_call_id": events[tools[-1] - 1].data[
                "writes"][0][1][0]["tool_call_id"]}]}, new_run_id="g2")
    finally:
        react_agent.RuleBasedChatModel._generate = original
    assert len(calls) == 1
    assert [row["run_id"] for row in agentc.runs(db)] == ["g", "g2"]
    forked = history("g2", db=db)
    assert forked.status == "done" and "count_words=99" in forked.output["messages"][-1]["content"]
    assert verify_ok(db, "g2")


def verify_ok(db, run_id):
    from agentc.audit import verify

    return verify(run_id, db=db) is None
