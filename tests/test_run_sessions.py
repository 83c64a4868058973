"""``Runner.run(session=...)`` (``--session REF``, a factory of the run context) on every
target, against ``Runner.run`` with the same scripted model and a ``SQLiteSession`` of its
own (tests/agents_sessions.py): the second turn of a conversation sees the first one's
history, and the session holds the same items afterwards. Durable: the session's snapshot
is journaled and its one write is keyed, so a replay of a finished run (after a crash,
before or after the write was journaled) writes nothing twice."""
import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import agents_sessions as S

import agentc
from agentc.errors import AgentcError
from run_options_targets import run_on

HERE = Path(__file__).parent
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
REF, SESSION = "agents_sessions:memo", "agents_sessions:session_for"
TARGETS = ["local", "conductor", "temporal"]
TURNS = ["my name is Ada", "what is my name?"]


def items(db, chat="c1"):
    from agents import SQLiteSession

    return asyncio.run(SQLiteSession(chat, str(db)).get_items())


def native(tmp_path):
    from agents import Runner, SQLiteSession

    db = str(tmp_path / "native.sqlite")
    session = SQLiteSession("c1", db)
    outs = [asyncio.run(Runner.run(S.memo, t, context=S.Chat("c1", db), session=session)).final_output
            for t in TURNS]
    return outs, items(db)


@pytest.mark.parametrize("target", TARGETS)
def test_a_conversation_as_runner_run(target, tmp_path, request):
    want_outputs, want_items = native(tmp_path)
    assert want_outputs[1] == "You are Ada; I see 2 user messages"
    db = str(tmp_path / "chats.sqlite")
    outs = []
    for i, text in enumerate(TURNS):
        got = run_on(target, tmp_path / str(i), request, REF, text, env={"AGENTC_SESSION": SESSION},
                     context={"chat_id": "c1", "db": db})
        assert "error" not in got, got["error"].render()
        outs.append(got["final_output"])
    assert outs == want_outputs
    assert items(db) == want_items


def test_a_replayed_run_writes_the_session_once(tmp_path):
    db = str(tmp_path / "chats.sqlite")
    runs = str(tmp_path / "runs.db")
    ctx = {"chat_id": "c1", "db": db}
    agentc.run(REF, TURNS[0], db=runs, context=ctx, session=SESSION)
    out = agentc.run(REF, TURNS[1], db=runs, context=ctx, session=SESSION)
    after = items(db)
    S.NOTED.clear()

    def crash(forget_write):
        con = sqlite3.connect(runs)
        if forget_write:  # the process died after writing the session, before journaling it
            con.execute("DELETE FROM writes WHERE run_id=? AND node='session_write'", (out.run_id,))
        con.execute("UPDATE runs SET status='running' WHERE run_id=?", (out.run_id,))
        con.commit()
        con.close()

    for forget_write in (False, True):
        crash(forget_write)
        again = agentc.resume(out.run_id, db=runs)
        assert again.status == "done" and again.output == out.output
        assert items(db) == after  # nothing written twice
    assert S.NOTED == []  # nor any tool called again


def test_the_history_a_run_saw_is_journaled(tmp_path):
    """A replay reads the snapshot from the journal, not the session as it is now."""
    db = str(tmp_path / "chats.sqlite")
    runs = str(tmp_path / "runs.db")
    ctx = {"chat_id": "c1", "db": db}
    agentc.run(REF, TURNS[0], db=runs, context=ctx, session=SESSION)
    out = agentc.run(REF, TURNS[1], db=runs, context=ctx, session=SESSION)
    asyncio.run(__import__("agents").SQLiteSession("c1", db).clear_session())  # the history is gone now
    con = sqlite3.connect(runs)
    con.execute("UPDATE runs SET status='running' WHERE run_id=?", (out.run_id,))
    con.commit()
    con.close()
    again = agentc.resume(out.run_id, db=runs)
    assert again.output == out.output  # "You are Ada": from the journaled snapshot


def test_the_session_is_part_of_the_workflow_identity():
    from agentc.plan.layout import plan_id

    assert plan_id(agentc.load(REF)) != plan_id(agentc.load(REF, session=SESSION))


def test_what_is_not_a_session_is_refused(tmp_path):
    with pytest.raises(AgentcError) as e:
        agentc.run(REF, "hi", db=str(tmp_path / "r.db"), context={"chat_id": "c1"},
                   session="agents_sessions:NOT_A_SESSION")
    assert e.value.diagnostic.construct == "--session" and "not a Session" in e.value.diagnostic.message


def test_a_server_side_session_is_refused():
    from agents.memory import OpenAIConversationsSession

    from agentc.run_refs import refuse_server_session

    session = OpenAIConversationsSession.__new__(OpenAIConversationsSession)
    with pytest.raises(AgentcError) as e:
        refuse_server_session(session, "app:SESSION")
    assert e.value.diagnostic.code.value == "AC200" and "OpenAIConversationsSession" in e.value.diagnostic.message


def test_cli_run_with_a_session(tmp_path):
    want_outputs, want_items = native(tmp_path)
    db = str(tmp_path / "chats.sqlite")
    for i, text in enumerate(TURNS):
        r = subprocess.run([sys.executable, "-m", "agentc.cli", "run", REF, "--input", json.dumps(text),
                            "--context", json.dumps({"chat_id": "c1", "db": db}), "--session", SESSION,
                            "--db", str(tmp_path / "r.db")], capture_output=True, text=True, timeout=300,
                           cwd=tmp_path, env=ENV)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["final_output"] == want_outputs[i]
    assert items(db) == want_items


def native_failed(tmp_path, agent):
    """What ``Runner.run`` leaves in the session when ``agent``'s run fails at turn 3."""
    from agents import Runner, SQLiteSession

    db = str(tmp_path / "native-failed.sqlite")
    with pytest.raises(Exception, match="the third turn's tool failed"):
        asyncio.run(Runner.run(agent, "go", context=S.Chat("c1", db), session=SQLiteSession("c1", db)))
    return items(db)


@pytest.mark.parametrize("target", [*TARGETS, "conductor-cold"])
def test_a_failed_run_leaves_the_turns_runner_run_saved(target, tmp_path, request, monkeypatch):
    """``Runner.run`` writes the input before the first turn and each turn's items after it,
    so a run whose tool fails at turn 3 leaves the input and turns 1-2 in the session; a
    durable run writes each of those once, as the SDK makes it (engine steps, retries of the
    failing step and warm or cold drives included)."""
    want = native_failed(tmp_path, S.stepper)
    assert [i.get("role") or i["type"] for i in want] == ["user"] + ["function_call", "function_call_output"] * 2
    db = str(tmp_path / "chats.sqlite")
    if target == "conductor-cold":  # every step replays the run from the journal (no warm drive)
        target = "conductor"
        monkeypatch.setenv("AGENTC_WARM_RUNS", "0")
    got = run_on(target, tmp_path, request, "agents_sessions:stepper", "go", env={"AGENTC_SESSION": SESSION},
                 context={"chat_id": "c1", "db": db})
    assert got["error"].code.value == "AC300" and "explode" in got["error"].render()
    assert items(db) == want


def test_a_failed_turn_saves_its_completed_calls_locally(tmp_path, request):
    """``Runner.run`` also saves the completed call beside the failing one (its partial
    turn): the local drive runs both, as the SDK does."""
    want = native_failed(tmp_path, S.stepper_beside)
    assert want[-1]["output"] == "step 3 taken"
    db = str(tmp_path / "chats.sqlite")
    got = run_on("local", tmp_path, request, "agents_sessions:stepper_beside", "go",
                 env={"AGENTC_SESSION": SESSION}, context={"chat_id": "c1", "db": db})
    assert "error" in got
    assert items(db) == want


@pytest.mark.parametrize("target", TARGETS)
def test_a_run_configs_session_fields_as_runner_run(target, tmp_path, request):
    """``RunConfig.session_settings`` (a limit on the history read) and
    ``session_input_callback`` (which history items the turn sees) on every target: the
    third turn forgets the name, and the session holds what ``Runner.run``'s holds."""
    from agents import Runner, SQLiteSession

    turns = [*TURNS, "and again?"]
    native_db = str(tmp_path / "native.sqlite")
    session = SQLiteSession("c1", native_db)
    want = [asyncio.run(Runner.run(S.memo, t, context=S.Chat("c1", native_db), session=session,
                                   run_config=S.SESSION_CONFIG)).final_output for t in turns]
    assert want[2] == "You are a stranger; I see 2 user messages"
    db = str(tmp_path / "chats.sqlite")
    outs = []
    for i, text in enumerate(turns):
        env = {"AGENTC_SESSION": SESSION, "AGENTC_RUN_CONFIG": "agents_sessions:SESSION_CONFIG"}
        got = run_on(target, tmp_path / str(i), request, REF, text,
                     context={"chat_id": "c1", "db": db}, env=env)
        assert "error" not in got, got["error"].render()
        outs.append(got["final_output"])
    assert outs == want
    assert items(db) == items(native_db)


@pytest.mark.parametrize("target", TARGETS)
def test_a_blocked_tool_output_is_saved_with_the_configs_message(target, tmp_path, request):
    """``RunConfig.output_guardrail_blocked_message``: a tool output that became the final
    output (``stop_on_first_tool``) and tripped the output guardrail is saved to the session
    as the config's placeholder, as ``Runner.run`` saves it; the run fails with AC303."""
    from agents import Runner, SQLiteSession
    from agents.exceptions import OutputGuardrailTripwireTriggered

    native_db = str(tmp_path / "native.sqlite")
    with pytest.raises(OutputGuardrailTripwireTriggered):
        asyncio.run(Runner.run(S.teller, "tell me", context=S.Chat("c1", native_db),
                               session=SQLiteSession("c1", native_db), run_config=S.BLOCKED_CONFIG))
    want = items(native_db)
    assert want[-1]["output"] == "[withheld by policy]"
    db = str(tmp_path / "chats.sqlite")
    env = {"AGENTC_SESSION": SESSION, "AGENTC_RUN_CONFIG": "agents_sessions:BLOCKED_CONFIG"}
    got = run_on(target, tmp_path, request, "agents_sessions:teller", "tell me",
                 context={"chat_id": "c1", "db": db}, env=env)
    assert got["error"].code.value == "AC303", got
    assert items(db) == want
