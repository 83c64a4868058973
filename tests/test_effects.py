"""Side effects (docs/effects.md): the effect policy, idempotency keys, the effect ledger,
compensation, ``agentc effects`` and ``agentc cancel``, on the local target, against the
booking service (tests/booking_service.py) and the native SDKs (``graph.invoke``,
``Runner.run``)."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import agentc
import harness
from agentc.cli import main
from booking_service import serve

SAGA = "agentc.fixtures.langgraph.booking_saga:graph"
SAGA_POLICY = str(harness.ROOT / "fixtures" / "langgraph" / "booking_saga.policy.toml")
APPROVAL = "agentc.fixtures.langgraph.booking_approval:graph"
AGENT_SAGA = "agentc.fixtures.openai_agents.booking_saga:agent"


@pytest.fixture(scope="module")
def service() -> Any:
    svc, server, url = serve()
    yield svc, url
    server.shutdown()


@pytest.fixture
def svc(service: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    s, url = service
    monkeypatch.setenv("AGENTC_BOOKING_URL", url)
    s.reset()
    return s


def cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


# ------------------------------------------------------------------ the policy


def test_policy_file_is_carried_in_the_ir_and_its_fingerprint() -> None:
    from agentc import ir

    plain = agentc.load(SAGA)
    wf = agentc.load(SAGA, policy=SAGA_POLICY)
    assert [(e.name, e.kind, e.on) for e in wf.effects] == [
        ("charge_card", "compensable", "node"), ("reserve_flight", "compensable", "node"),
        ("reserve_hotel", "compensable", "node")]
    assert wf.effect("reserve_flight").compensator == "agentc.fixtures.langgraph.booking_saga:release_flight"
    assert wf.effect("reserve_flight").source.line == 3  # the policy file's line
    assert ir.load(ir.dump(wf)) == wf
    assert ir.fingerprint(wf) != ir.fingerprint(plain)
    assert "effects" not in json.loads(ir.dump(plain))  # no policy: the IR files do not change


def test_pyproject_table_and_shorthand(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.agentc.effects]\nreserve_flight = "keyed"\n\n'
        '[tool.agentc.effects.charge_card]\nclass = "at_most_once"\n')
    monkeypatch.chdir(tmp_path)
    wf = agentc.load(SAGA)
    assert [(e.name, e.kind, e.source.line) for e in wf.effects] == [("charge_card", "at_most_once", 7),
                                                                    ("reserve_flight", "keyed", 5)]


def test_decorator_declares_effects_of_tools_and_nodes() -> None:
    wf = agentc.load(AGENT_SAGA)
    assert {(e.name, e.kind, e.on) for e in wf.effects} == {
        ("reserve_flight", "compensable", "tool"), ("reserve_hotel", "compensable", "tool"),
        ("charge_card", "compensable", "tool")}
    node = agentc.load(APPROVAL).effect("book")
    assert (node.kind, node.on, node.source.line) == ("compensable", "node", 32)


BAD = {
    "unknown_name": ('[effects.reserve_flight]\nclass = "keyed"\n\n[effects.book_train]\nclass = "keyed"\n',
                     4, "'book_train', which is none of the workflow's nodes"),
    "unknown_class": ('[effects]\nreserve_flight = "keyed"\ncharge_card = "exactly_once"\n', 3,
                      "unknown effect class 'exactly_once'"),
    "bad_compensator": ('\n[effects.reserve_flight]\nclass = "compensable"\ncompensator = "no_such_mod:undo"\n', 2,
                        "compensator 'no_such_mod:undo' of 'reserve_flight' does not import"),
    "missing_attr": (('[effects.reserve_flight]\nclass = "compensable"\n'
                      'compensator = "agentc.fixtures.langgraph.booking_saga:nope"\n'), 1, "does not import"),
    "reserved_key": ('[effects.charge_card]\nclass = "keyed"\nmax_calls = 1\n', 1,
                     "policy key 'max_calls' of 'charge_card' is not supported yet"),
    "no_compensator": ('[effects.charge_card]\nclass = "compensable"\n', 1, "names no compensator"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_policy_exits_2_with_file_line_and_writes_nothing(case: str, tmp_path: Path) -> None:
    text, line, message = BAD[case]
    policy = tmp_path / "policy.toml"
    policy.write_text(text)
    out = tmp_path / "out"
    res = cli("compile", SAGA, "--policy", str(policy), "-o", str(out))
    assert res.exit_code == 2, res.output
    assert "AC404" in res.output and message in res.output, res.output
    assert f"--> {policy}:{line}" in res.output, res.output
    assert not out.exists()
    db = tmp_path / "runs.db"
    res = cli("run", SAGA, "--policy", str(policy), "--input", '{"trip": "t"}', "--db", str(db))
    assert res.exit_code == 2 and "AC404" in res.output and not db.exists(), res.output


# ------------------------------------------------------------------ keys, ledger, compensation


def _ledger(run_id: str, db: Path) -> list[tuple[str, str, str, str | None]]:
    return [(r["name"], r["class"], r["status"], r["comp_status"]) for r in agentc.effects_of(run_id, db=db)]


def test_langgraph_saga_books_everything_like_graph_invoke(svc: Any, tmp_path: Path) -> None:
    from agentc.fixtures.langgraph.booking_saga import graph

    inp = {"trip": "t1", "hotel": "ok", "amount": 420}
    native = graph.invoke(inp, {"configurable": {"thread_id": "n"}})
    svc.reset()
    out = agentc.run(SAGA, inp, db=tmp_path / "r.db", run_id="ok", policy=SAGA_POLICY)
    assert out.status == "done" and out.output == native
    assert svc.paths() == ["/flights/reserve", "/hotels/reserve", "/charges"]
    rows = agentc.effects_of("ok", db=tmp_path / "r.db")
    assert [(r["name"], r["status"]) for r in rows] == [("reserve_flight", "done"), ("reserve_hotel", "done"),
                                                         ("charge_card", "done")]
    assert [r["key"] for r in rows] == [k for _, k in svc.effects()]  # the key the node sent is the ledger's
    assert all(r["digest"] and r["finished"] >= r["started"] for r in rows)


def test_langgraph_saga_hotel_full_releases_the_flight(svc: Any, tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    with pytest.raises(agentc.AgentcError) as err:
        agentc.run(SAGA, {"trip": "t2", "hotel": "full", "amount": 1}, db=db, run_id="bad", policy=SAGA_POLICY)
    assert err.value.details["compensated"] == ["reserve_flight"]
    assert "compensated: reserve_flight" in str(err.value)
    assert svc.paths() == ["/flights/reserve", "/flights/release"]
    assert svc.requests[-1].body == {"id": "FL-t2-1"}  # the compensator got the node's result
    assert _ledger("bad", db) == [("reserve_flight", "compensable", "done", "done"),
                                  ("reserve_hotel", "compensable", "failed", None)]
    assert agentc.runs(db=db)[0]["status"] == "compensated"
    with pytest.raises(agentc.AgentcError, match="already finished"):
        agentc.resume("bad", db=db)


def test_agents_saga_books_everything_like_runner_run(svc: Any, tmp_path: Path) -> None:
    from agents import Runner

    from agentc.fixtures.openai_agents.booking_saga import agent

    text = "book trip t1 hotel ok amount 420"
    native = asyncio.run(Runner.run(agent, text))
    assert [k for _, k in svc.effects()] == [None, None, None]  # a plain Runner.run has no durable key
    svc.reset()
    out = agentc.run(AGENT_SAGA, text, db=tmp_path / "r.db", run_id="ok")
    assert out.output["final_output"] == native.final_output
    rows = agentc.effects_of("ok", db=tmp_path / "r.db")
    assert [(r["name"], r["target"], r["status"], r["result"]) for r in rows] == [
        ("reserve_flight", "tool", "done", "FL-t1-1"), ("reserve_hotel", "tool", "done", "HT-t1-2"),
        ("charge_card", "tool", "done", "CH-t1-3")]
    assert [r["key"] for r in rows] == [k for _, k in svc.effects()]
    assert rows[0]["args"] == {"trip": "t1"}


def test_agents_saga_hotel_full_releases_the_flight(svc: Any, tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    with pytest.raises(agentc.AgentcError) as err:
        agentc.run(AGENT_SAGA, "book trip t2 hotel full amount 1", db=db, run_id="bad")
    assert err.value.details["compensated"] == ["reserve_flight"]
    assert svc.paths() == ["/flights/reserve", "/flights/release"]
    assert _ledger("bad", db) == [("reserve_flight", "compensable", "done", "done"),
                                  ("reserve_hotel", "compensable", "failed", None)]


def test_keys_are_not_the_model_call_id_and_differ_per_run(svc: Any, tmp_path: Path) -> None:
    from agentc.semantics.effects import derive

    agentc.run(AGENT_SAGA, "book trip t1 hotel ok amount 1", db=tmp_path / "r.db", run_id="a")
    agentc.run(AGENT_SAGA, "book trip t1 hotel ok amount 1", db=tmp_path / "r.db", run_id="b")
    keys = [k for _, k in svc.effects()]
    assert len(set(keys)) == 6  # same model call ids in both runs (a fake model), other keys
    assert keys[0] == derive("a", "effect:Booking Saga:reserve_flight#0", 0)


def test_interrupt_after_effect_rerun_sends_the_same_key(svc: Any, tmp_path: Path) -> None:
    """langgraph#7780: the paused node re-runs from its top on resume; the reservation is
    sent again with the same key and the service books once — as with graph.invoke."""
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.types import Command

    from agentc.fixtures.langgraph.booking_approval import builder

    app = builder.compile(checkpointer=InMemorySaver())
    cfg = {"configurable": {"thread_id": "n"}}
    app.invoke({"trip": "a"}, cfg)
    native = app.invoke(Command(resume=True), cfg)
    native_requests = [(r.path, r.replayed) for r in svc.requests]
    svc.reset()
    db = tmp_path / "r.db"
    assert agentc.run(APPROVAL, {"trip": "a"}, db=db, run_id="a").status == "waiting"
    out = agentc.resume("a", True, db=db)
    assert out.output == native
    assert [(r.path, r.replayed) for r in svc.requests] == native_requests == [
        ("/flights/reserve", False), ("/flights/reserve", True)]
    assert _ledger("a", db) == [("book", "compensable", "done", None)]


def test_cancel_at_a_pause_compensates_and_ends_the_run(svc: Any, tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    agentc.run(APPROVAL, {"trip": "c"}, db=db, run_id="c")
    res = cli("cancel", "c", "--db", str(db))
    assert res.exit_code == 0, res.output
    assert json.loads(res.output) == {"run_id": "c", "status": "cancelled", "compensated": ["book"]}
    assert svc.paths() == ["/flights/reserve", "/flights/release"]
    assert svc.requests[-1].body == {"id": "FL-c-1"}  # read back with compensated_key(): one booking
    again = cli("cancel", "c", "--db", str(db))
    assert again.exit_code == 2 and "AC121" in again.output
    assert cli("resume", "c", "--db", str(db)).exit_code == 2


def test_effects_cli_text_and_json(svc: Any, tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    agentc.run(SAGA, {"trip": "t", "hotel": "ok", "amount": 5}, db=db, run_id="r", policy=SAGA_POLICY)
    res = cli("effects", "r", "--db", str(db), "--json")
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)
    assert [(r["name"], r["class"], r["status"], r["result"]) for r in rows] == [
        ("reserve_flight", "compensable", "done", {"flight": "FL-t-1"}),
        ("reserve_hotel", "compensable", "done", {"room": "HT-t-2"}),
        ("charge_card", "compensable", "done", {"charge": "CH-t-3"})]
    text = cli("effects", "r", "--db", str(db))
    assert text.exit_code == 0 and len(text.output.splitlines()) == 3 and rows[0]["key"] in text.output
    missing = cli("effects", "nope", "--db", str(db))
    assert missing.exit_code == 2 and "AC120" in missing.output


def test_at_most_once_is_not_retried_by_a_retry_policy(svc: Any, tmp_path: Path) -> None:
    """An at_most_once node's RetryPolicy does not apply: the failure ends the attempt."""
    from langgraph.graph import StateGraph
    from langgraph.types import RetryPolicy
    from typing_extensions import TypedDict

    calls: list[int] = []

    class S(TypedDict, total=False):
        x: int

    def flaky(state: S) -> dict[str, Any]:
        calls.append(1)
        raise ConnectionError("boom")

    b = StateGraph(S)
    b.add_node("flaky", flaky, retry_policy=RetryPolicy(max_attempts=3, initial_interval=0.0, jitter=False))
    b.set_entry_point("flaky")
    g = b.compile()
    policy = tmp_path / "p.toml"
    policy.write_text('[effects]\nflaky = "at_most_once"\n')
    wf = agentc.load(g, policy=policy)
    with pytest.raises(agentc.AgentcError):
        agentc.run(g, {"x": 1}, db=tmp_path / "r.db", run_id="r", workflow=wf)
    assert len(calls) == 1
    calls.clear()
    with pytest.raises(agentc.AgentcError):
        agentc.run(g, {"x": 1}, db=tmp_path / "r.db", run_id="r2")
    assert len(calls) == 3  # unclassified: LangGraph's RetryPolicy as before


# ------------------------------------------------------------------ static checks

RERUN = "agentc.fixtures.langgraph.effect_rerun:graph"


def test_compile_warns_about_effects_that_rerun_with_their_lines(tmp_path: Path) -> None:
    src = harness.ROOT / "fixtures" / "langgraph" / "effect_rerun.py"
    lines = src.read_text().splitlines()
    interrupt_line = next(i for i, t in enumerate(lines, 1) if "= interrupt(" in t)
    charge_line = next(i for i, t in enumerate(lines, 1) if t.startswith("def charge"))
    res = cli("compile", RERUN, "-o", str(tmp_path / "out"))
    assert res.exit_code == 0, res.output
    assert res.output.count("warning[AC204]") == 2, res.output
    assert f"effect_rerun.py:{interrupt_line} (node 'notify')" in res.output
    assert f"effect_rerun.py:{charge_line} (node 'charge')" in res.output and "RetryPolicy" in res.output
    strict = cli("compile", RERUN, "-o", str(tmp_path / "strict"), "--strict")
    assert strict.exit_code == 2 and "error[AC204]" in strict.output and not (tmp_path / "strict").exists()


def test_keyed_or_compensable_nodes_are_not_reported_at_most_once_is(tmp_path: Path) -> None:
    from agentc.errors import Warnings

    w = Warnings()
    agentc.load(APPROVAL, warnings=w)  # compensable (decorator), sends effect_key
    assert w.items == []
    policy = tmp_path / "p.toml"
    policy.write_text('[effects]\nbook = "at_most_once"\n')
    agentc.load(APPROVAL, warnings=w, policy=policy)
    assert [d.code.value for d in w.items] == ["AC204"] and "at_most_once" in w.items[0].message
    policy.write_text('[effects]\nnotify = "keyed"\ncharge = "keyed"\n')
    w2 = Warnings()
    agentc.load(RERUN, warnings=w2, policy=policy)
    assert w2.items == []


def test_check_reports_rerun_warnings_and_fails_under_strict(tmp_path: Path) -> None:
    cfg = tmp_path / "pyproject.toml"
    cfg.write_text(f'[tool.agentc]\nout = "{tmp_path / "gen"}"\ntargets = ["ir"]\nagents = ["{RERUN}"]\n')
    res = cli("check", "--config", str(cfg), "--update")
    assert res.exit_code == 0 and res.output.count("warning[AC204]") == 2, res.output
    strict = cli("check", "--config", str(cfg), "--strict")
    assert strict.exit_code == 2 and "error[AC204]" in strict.output, strict.output


def test_pyproject_entries_of_other_agents_are_skipped_and_check_reports_unknown_ones(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.agentc]\nout = "gen"\ntargets = ["ir"]\nagents = ["{SAGA}", "{RERUN}"]\n\n'
        '[tool.agentc.effects]\nreserve_flight = "keyed"\nnotify = "keyed"\nreserve_flihgt = "keyed"\n')
    monkeypatch.chdir(tmp_path)
    assert [e.name for e in agentc.load(SAGA).effects] == ["reserve_flight"]  # notify is another agent's
    assert [e.name for e in agentc.load(RERUN).effects] == ["notify"]
    res = cli("check", "--update")
    assert res.exit_code == 1, res.output
    assert "names 'reserve_flihgt'" in res.output and "pyproject.toml:9" in res.output, res.output
    assert res.output.count("error[AC404]") == 1


def test_a_retry_policy_attempt_sends_the_same_key(svc: Any, tmp_path: Path) -> None:
    """A keyed node that fails after its request (the answer was lost) is retried by its
    RetryPolicy with the same key: the service books once — as under graph.invoke."""
    from langchain_core.runnables import RunnableConfig
    from langgraph.graph import StateGraph
    from langgraph.types import RetryPolicy
    from typing_extensions import TypedDict

    from agentc.effects import effect_key
    from agentc.fixtures.booking_http import post

    class S(TypedDict, total=False):
        trip: str
        flight: str

    lost: list[int] = []

    def book(state: S, config: RunnableConfig) -> dict[str, Any]:
        r = post("/flights/reserve", {"trip": state["trip"]}, effect_key(config))
        if not lost:
            lost.append(1)
            raise ConnectionError("answer lost")
        return {"flight": r["id"]}

    b = StateGraph(S)
    b.add_node("book", book, retry_policy=RetryPolicy(max_attempts=3, initial_interval=0.0, jitter=False))
    b.set_entry_point("book")
    g = b.compile()
    native = g.invoke({"trip": "r"}, {"configurable": {"thread_id": "n"}})
    assert [(r.path, r.replayed) for r in svc.requests] == [("/flights/reserve", False), ("/flights/reserve", True)]
    svc.reset()
    lost.clear()
    policy = tmp_path / "p.toml"
    policy.write_text('[effects]\nbook = "keyed"\n')
    out = agentc.run(g, {"trip": "r"}, db=tmp_path / "r.db", run_id="r", workflow=agentc.load(g, policy=policy))
    assert out.output == native
    assert [(r.path, r.replayed) for r in svc.requests] == [("/flights/reserve", False), ("/flights/reserve", True)]
    assert _ledger("r", tmp_path / "r.db") == [("book", "keyed", "done", None)]


def test_at_most_once_cut_off_by_a_crash_is_not_called_again_until_a_human_decides(svc: Any, tmp_path: Path) -> None:
    """The process dies during an at_most_once call (its ledger row stays ``started``): a
    resume does not call it again (AC305); ``agentc effects --forget KEY`` says it did not
    happen, and the next resume calls it."""
    from langgraph.graph import StateGraph
    from typing_extensions import TypedDict

    from agentc.fixtures.booking_http import post

    class S(TypedDict, total=False):
        trip: str
        charge: str

    die = [True]

    def charge(state: S) -> dict[str, Any]:
        r = post("/charges", {"trip": state["trip"], "amount": 1}, None)
        if die[0]:
            raise SystemExit("the process dies mid-call")  # escapes agentc as a killed process would
        return {"charge": r["id"]}

    b = StateGraph(S)
    b.add_node("charge", charge)
    b.set_entry_point("charge")
    g = b.compile()
    policy = tmp_path / "p.toml"
    policy.write_text('[effects]\ncharge = "at_most_once"\n')
    db = tmp_path / "r.db"
    with pytest.raises(SystemExit):
        agentc.run(g, {"trip": "m"}, db=db, run_id="m", workflow=agentc.load(g, policy=policy))
    assert _ledger("m", db) == [("charge", "at_most_once", "started", None)]
    die[0] = False
    with pytest.raises(agentc.AgentcError) as err:
        agentc.resume("m", db=db, obj=g)
    assert err.value.code.value == "AC305" and "--forget" in err.value.diagnostic.hint
    assert svc.paths() == ["/charges"]  # not called again
    key = agentc.effects_of("m", db=db)[0]["key"]
    res = cli("effects", "m", "--db", str(db), "--forget", key)
    assert res.exit_code == 0, res.output
    assert agentc.resume("m", db=db, obj=g).status == "done"
    assert svc.paths() == ["/charges", "/charges"]  # the human said it had not happened
    assert _ledger("m", db) == [("charge", "at_most_once", "done", None)]
