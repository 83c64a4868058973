"""Chat-model calls inside LangGraph nodes (docs/replay.md, "Chat models in nodes"): each
call a node makes to a langchain-core chat model is journaled as a ``model`` event of the
run's history (hash-chained with the rest), and ``replay --at N --set`` can replace one
response: the node re-runs with its calls answered from the record, and the graph then
does what ``graph.invoke`` does with a chat model scripted to give that response."""
import json
import sqlite3
import subprocess
import sys

import agentc
import harness as H
from agentc.audit import history, replay, verify
from agentc.fixtures.langgraph import react_agent

INPUT = {"messages": [{"role": "user", "content": "hello big world"}]}
PROMPT = "You compute text statistics with tools."


class Counting:
    """Counts the fixture model's real generations (a replay answered from the record makes none)."""

    def __enter__(self):
        self.calls = []
        self.original = react_agent.RuleBasedChatModel._generate
        react_agent.RuleBasedChatModel._generate = \
            lambda model, *a, **k: (self.calls.append(1), self.original(model, *a, **k))[1]
        return self

    def __exit__(self, *exc):
        react_agent.RuleBasedChatModel._generate = self.original


def recorded(tmp_path):
    db = str(tmp_path / "runs.db")
    agentc.run(H.ref("react_agent"), INPUT, db=db, run_id="g")
    return db, history("g", db=db)


def test_history_lists_each_chat_call_between_its_node_start_and_writes(tmp_path):
    db, h = recorded(tmp_path)
    kinds = [(e.kind, e.name) for e in h.events]
    assert kinds == [("input", "__start__"), ("model", "agent"), ("node", "agent"), ("node", "tools"),
                     ("node", "tools"), ("model", "agent"), ("node", "agent"), ("status", None)]
    first, second = [e for e in h.events if e.kind == "model"]
    assert [c["name"] for c in first.data["response"][0]["tool_calls"]] == ["count_words", "count_vowels"]
    assert second.data["response"][0]["content"] == "Stats: count_words=3, count_vowels=4"
    assert (first.step, second.step) == (1, 3) and first.data["request_digest"] != second.data["request_digest"]
    out = subprocess.run([sys.executable, "-m", "agentc.cli", "history", "g", "--db", db],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert 'model      step 1 agent  request ' in out.stdout and "say Stats: count_words=3, count_vowels=4" in out.stdout
    js = subprocess.run([sys.executable, "-m", "agentc.cli", "history", "g", "--db", db, "--json"],
                        capture_output=True, text=True, timeout=120)
    events = json.loads(js.stdout)["events"]
    assert [e["kind"] for e in events].count("model") == 2


def test_chat_calls_are_in_the_hash_chain(tmp_path):
    db, h = recorded(tmp_path)
    assert verify("g", db=db) is None
    con = sqlite3.connect(db)
    t, v = con.execute("SELECT t, v FROM chat_calls WHERE run_id='g' ORDER BY rowid LIMIT 1").fetchone()
    con.execute("UPDATE chat_calls SET v=? WHERE run_id='g' AND n=0 AND step=3", (v,))  # the 2nd call's answer
    con.commit()
    con.close()
    broken = verify("g", db=db)
    assert broken is not None and "chat" in str(broken)


def test_transcript_replays_chat_calls_strictly_with_zero_model_calls(tmp_path):
    from agentc.audit import transcript

    db, h = recorded(tmp_path)
    path = transcript.write(tmp_path / "g.json", transcript.dumps(h))
    loaded = transcript.load(path)
    assert transcript.check(loaded) is None and [e.kind for e in loaded.events].count("model") == 2
    with Counting() as c:
        r = replay(str(path), then="stop")
    assert (r.status, r.diff, c.calls, r.live_model_calls) == ("done", [], [], 0)
    assert [e.kind for e in r.replayed.events].count("model") == 2


def scripted_native(first):
    from langchain_core.messages import AIMessage
    from langchain_core.outputs import ChatGeneration, ChatResult
    from langgraph.prebuilt import create_react_agent

    class ScriptedChat(react_agent.RuleBasedChatModel):
        n: int = 0

        def _generate(self, messages, stop=None, run_manager=None, **kwargs):
            self.n += 1
            if self.n == 1:
                return ChatResult(generations=[ChatGeneration(message=AIMessage(**first))])
            return super()._generate(messages, stop, run_manager, **kwargs)

    return create_react_agent(ScriptedChat(), react_agent.tools, prompt=PROMPT).invoke(INPUT)


def test_altered_chat_response_changes_the_tool_chain_like_a_scripted_native_run(tmp_path):
    db, h = recorded(tmp_path)
    first = next(e for e in h.events if e.kind == "model")
    reply = {"content": "", "tool_calls": [{"name": "count_vowels", "args": {"text": "xyz oo"}, "id": "c1"}]}
    with Counting() as c:
        r = replay("g", db=db, at=first.seq, value={"type": "ai", **reply})
    native = scripted_native(reply)
    assert H.normalise(r.replayed.output) == H.normalise(native)
    assert native["messages"][-1].content == "Stats: count_vowels=2"
    # the altered call came from --set; the tool node and the next agent turn ran live
    assert (len(c.calls), r.live_model_calls, r.live_nodes) == (1, 1, 2)
    tools = [e for e in r.replayed.events if e.kind == "node" and e.name == "tools"]
    assert [w[1][0]["name"] for e in tools for w in e.data["writes"] if w[0] == "messages"] == ["count_vowels"]
    assert "+  call count_vowels({\"text\": \"xyz oo\"})" in r.diff


def test_altered_last_chat_response_reuses_the_calls_before_it(tmp_path):
    db, h = recorded(tmp_path)
    last = [e for e in h.events if e.kind == "model"][-1]
    with Counting() as c:
        r = replay("g", db=db, at=last.seq, value="Stats: none")
    assert c.calls == [] and r.live_model_calls == 0
    assert r.replayed.output["messages"][-1]["content"] == "Stats: none"
    assert H.normalise(r.replayed.output["messages"][:-1]) == H.normalise(r.original.output["messages"][:-1])
    assert verify_chain(r.replayed)


def test_stop_mode_stops_where_the_altered_tool_chain_leaves_the_record(tmp_path):
    db, h = recorded(tmp_path)
    first = next(e for e in h.events if e.kind == "model")
    reply = {"type": "ai", "content": "", "tool_calls": [{"name": "count_vowels", "args": {"text": "x"}, "id": "c9"}]}
    with Counting() as c:
        r = replay("g", db=db, at=first.seq, value=reply, then="stop")
    assert c.calls == [] and r.status == "stopped" and "node 'tools'" in r.stopped


def test_set_that_is_not_an_ai_message_is_a_diagnostic(tmp_path):
    import pytest
    from agentc.errors import AgentcError

    db, h = recorded(tmp_path)
    first = next(e for e in h.events if e.kind == "model")
    with pytest.raises(AgentcError) as e:
        replay("g", db=db, at=first.seq, value={"type": "human", "content": "x"})
    assert e.value.diagnostic.code.value == "AC133" and "AI message" in e.value.diagnostic.message
    with pytest.raises(AgentcError) as e:
        replay("g", db=db, at=first.seq, value=[1])
    assert e.value.diagnostic.code.value == "AC133"


def verify_chain(h):
    from agentc.runtime_shims.audit_events import verify as verify_events

    return verify_events(h.events) is None
