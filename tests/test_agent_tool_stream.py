"""``Agent.as_tool(on_stream=...)`` on every target, against ``Runner.run``: the user's
callback gets the nested run's stream events — the SDK's own event objects — once each, in
the SDK's order, on local, the Conductor simulation (warm and cold drives) and Temporal,
however often the nested run is replayed; no ``RawResponsesStreamEvent`` (a journal holds
whole responses, not the model's stream: docs/openai-agents.md, "`Runner.run` parameters")."""
import asyncio

import pytest

import agents_on_stream as A

from run_options_targets import run_on

REF = "agents_on_stream:boss"
RAW = "raw_response_event"


def native() -> tuple[str, list[dict]]:
    from agents import Runner

    A.RECEIVED.clear()
    out = asyncio.run(Runner.run(A.boss, "go")).final_output
    return out, list(A.RECEIVED)


@pytest.mark.parametrize("target", ["local", "conductor", "conductor-cold", "temporal"])
def test_on_stream_gets_the_nested_runs_events_once(target, tmp_path, request, monkeypatch):
    want_output, want = native()
    semantic = [e for e in want if e["event"]["type"] != RAW]
    assert [e["event"].get("name") for e in semantic] == [None, *["tool_called", "tool_output"] * 2,
                                                          "message_output_created"]
    if target == "conductor-cold":  # every step replays the run, the nested run included
        target = "conductor"
        monkeypatch.setenv("AGENTC_WARM_RUNS", "0")
    A.RECEIVED.clear()
    got = run_on(target, tmp_path, request, REF, "go")
    assert got["final_output"] == want_output
    assert A.RECEIVED == semantic


def test_a_crash_replay_calls_the_callback_for_no_event_again(tmp_path):
    """A local run resumed after a crash replays the nested run from the journal: the
    callback is not called again for the events it already got."""
    import sqlite3

    import agentc

    _, want = native()
    db = str(tmp_path / "r.db")
    A.RECEIVED.clear()
    out = agentc.run(REF, "go", db=db)
    first = list(A.RECEIVED)
    con = sqlite3.connect(db)  # the process died after the nested run, before the agent tool's output
    con.execute("DELETE FROM writes WHERE run_id=? AND rowid >= (SELECT rowid FROM writes WHERE run_id=? "
                "AND task LIKE 'tool:Boss:ask_helper:%')", (out.run_id, out.run_id))
    con.execute("UPDATE runs SET status='running' WHERE run_id=?", (out.run_id,))
    con.commit()
    con.close()
    again = agentc.resume(out.run_id, db=db)
    assert again.output == out.output
    assert A.RECEIVED == first == [e for e in want if e["event"]["type"] != RAW]
