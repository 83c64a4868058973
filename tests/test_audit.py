"""``agentc history`` / ``export`` / ``verify`` / ``transcript-schema`` (docs/replay.md):
a local run's ordered, timed events from its journal; the journal and transcripts are
hash-chained, so an edited or removed record is reported (exit 2, naming the event)."""
import json
import sqlite3
import subprocess
import sys

import agentc
import harness as H
import openai_agents_oracle as O
import pytest
from agentc.audit import transcript, verify

history = agentc.history  # the top-level API (agentc/__init__.py) is the audit module's


def cli(*args):
    return subprocess.run([sys.executable, "-m", "agentc.cli", *args], capture_output=True, text=True, timeout=300)


@pytest.fixture
def agent_run(tmp_path):
    db = str(tmp_path / "runs.db")
    case = O.load_cases()["order_status"]
    agentc.run(case["ref"], case["input"], db=db, run_id="o")
    return db


def test_agent_history_lists_model_and_tool_calls_in_order(agent_run):
    h = history("o", db=agent_run)
    assert [e.kind for e in h.events] == ["input", "model", "tool", "model", "tool", "status"]
    assert [e.seq for e in h.events] == [1, 2, 3, 4, 5, 6]
    model, tool = h.events[1], h.events[2]
    assert model.name == "Order Status" and len(model.data["request_digest"]) == 20
    assert model.data["response"][0]["name"] == "lookup_order"
    assert (tool.name, tool.data["arguments"], tool.data["result"]) == \
        ("lookup_order", {"order_id": "B-77"}, "B-77: shipped, arrives in 2 days")
    times = [e.at for e in h.events]
    assert all(t is not None for t in times) and times == sorted(times)
    assert h.events[-1].data["status"] == "done" and h.output["final_output"].startswith("SENT:")


def test_graph_history_has_node_writes_answers_and_retries(tmp_path):
    db = str(tmp_path / "runs.db")
    out = agentc.run(H.ref("hitl_review"), H.CASES["hitl_review"]["input"], db=db, run_id="h")
    for answer in H.CASES["hitl_review"]["resumes"]:
        out = agentc.resume(out.run_id, answer, db=db)
    h = history("h", db=db)
    kinds = [(e.kind, e.name) for e in h.events if e.kind != "status"]
    assert kinds == [("input", "__start__"), ("node", "write_draft"), ("resume", None), ("resume", None),
                     ("node", "review"), ("node", "publish")]
    assert [e.data["value"] for e in h.events if e.kind == "resume"] == [True, "Looks great"]
    assert [e.data["status"] for e in h.events if e.kind == "status"] == \
        ["waiting", "running", "waiting", "running", "done"]
    review = next(e for e in h.events if e.name == "review")
    assert dict(review.data["writes"])["comment"] == "Looks great"

    agentc.run(H.ref("retry"), H.CASES["retry"]["input"], db=db, run_id="r")
    retries = [e for e in history("r", db=db).events if e.kind == "retry"]
    assert len(retries) == 1 and retries[0].data["attempt"] == 1 and "ConnectionError" in retries[0].data["error"]


def test_cli_history_formats(agent_run):
    r = cli("history", "o", "--db", agent_run)
    assert r.returncode == 0, r.stderr
    assert "lookup_order" in r.stdout and "status" in r.stdout
    r = cli("history", "o", "--db", agent_run, "--jsonl")
    events = [json.loads(line) for line in r.stdout.splitlines()]
    assert [e["kind"] for e in events][:3] == ["input", "model", "tool"]
    r = cli("history", "o", "--db", agent_run, "--json")
    assert json.loads(r.stdout)["run_id"] == "o"
    r = cli("history", "nope", "--db", agent_run)
    assert r.returncode == 2 and "AC120" in r.stderr


def test_edited_or_deleted_journal_row_fails_verify(agent_run):
    assert verify("o", db=agent_run) is None
    assert cli("history", "o", "--db", agent_run, "--verify").returncode == 0
    db = sqlite3.connect(agent_run)
    t, v = db.execute("SELECT t, v FROM writes WHERE run_id='o' AND node='tool' ORDER BY rowid").fetchone()
    from agentc.semantics.codec import dumps, loads

    value = loads(t, v)
    db.execute("UPDATE writes SET v=? WHERE run_id='o' AND node='tool' AND v=?",
               (dumps(["B-77: cancelled", value[1]])[1], v))
    db.commit()
    found = verify("o", db=agent_run)
    assert found is not None and found.seq == 3 and "edited" in found.reason
    r = cli("history", "o", "--db", agent_run, "--verify")
    assert r.returncode == 2 and "AC131" in r.stderr and "audit entry 3" in r.stderr
    r = cli("export", "o", "--db", agent_run, "-o", agent_run + ".json")
    assert r.returncode == 2  # an edited journal is never exported as a transcript that verifies
    db.execute("DELETE FROM writes WHERE run_id='o' AND node='model'")
    db.commit()
    found = verify("o", db=agent_run)
    assert found is not None and found.seq == 2 and "missing" in found.reason


def test_transcript_round_trip_and_tampering(agent_run, tmp_path):
    path = tmp_path / "o.json"
    r = cli("export", "o", "--db", agent_run, "-o", str(path))
    assert r.returncode == 0, r.stderr
    r = cli("verify", str(path))
    assert r.returncode == 0 and "6 events verify" in r.stdout
    data = json.loads(path.read_text())
    assert data["format"] == "agentc.transcript" and data["version"] == 2 and data["count"] == 6

    def attempt(name, edit):
        d = json.loads(path.read_text())
        edit(d)
        (tmp_path / name).write_text(json.dumps(d))
        return cli("verify", str(tmp_path / name))

    r = attempt("edited.json", lambda d: d["events"][2]["data"].update(result="B-77: cancelled"))
    assert r.returncode == 2 and "AC131" in r.stderr and "event 3" in r.stderr and "edited" in r.stderr
    r = attempt("missing.json", lambda d: d["events"].pop(3))
    assert r.returncode == 2 and "event 4 is missing" in r.stderr
    r = attempt("truncated.json", lambda d: d["events"].pop())
    assert r.returncode == 2 and "event 6 onwards is missing" in r.stderr
    r = attempt("newer.json", lambda d: d.update(version=3))
    assert r.returncode == 2 and "AC130" in r.stderr and "version 3" in r.stderr and "Traceback" not in r.stderr
    r = attempt("wrong.json", lambda d: d["events"][0].update(kind="bogus"))
    assert r.returncode == 2 and "AC130" in r.stderr and "events.0.kind" in r.stderr
    r = cli("replay", str(tmp_path / "edited.json"))
    assert r.returncode == 2 and "AC131" in r.stderr  # a tampered record is never replayed
    # a transcript replays without the database it came from
    r = cli("replay", str(path))
    assert r.returncode == 0 and "identical to the record" in r.stdout, r.stdout + r.stderr


def test_transcript_schema_is_the_format():
    r = cli("transcript-schema")
    schema = json.loads(r.stdout)
    assert r.returncode == 0 and schema == transcript.schema()
    assert set(schema["required"]) >= {"run", "events", "count", "head"}
