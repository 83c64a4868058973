"""``run_view`` (the journal reader behind ``agentc ui``) against LangGraph itself.

The state a person sees "after step N" is rebuilt from the journal's per-task writes; the
oracle is LangGraph's own checkpoint history (``get_state_history``) of the same graph on
the same input: every superstep's values must agree, reducers and ``Send`` fan-out
included. The timeline must list the nodes in the order LangGraph ran them.
"""
from __future__ import annotations

import re
import uuid

import agentc
import pytest
from agentc.targets.local.run_view import RunView
from harness import CASES, module, normalise, ref


def _native_history(name: str) -> dict[int, dict]:
    from langgraph.checkpoint.memory import InMemorySaver

    g = module(name).graph
    app = g.builder.compile(checkpointer=InMemorySaver())
    cfg = {"configurable": {"thread_id": uuid.uuid4().hex}}
    app.invoke(CASES[name]["input"], cfg)
    return {s.metadata["step"]: s for s in app.get_state_history(cfg) if s.metadata["step"] >= 0}


@pytest.mark.parametrize("name", ["chain", "branching", "map_reduce", "router_loop", "command_goto"])
def test_state_after_every_step_matches_langgraph_history(tmp_path, name):
    db = str(tmp_path / "runs.db")
    out = agentc.run(ref(name), CASES[name]["input"], db=db)
    assert out.status == "done"
    native = _native_history(name)
    view = RunView(db)
    steps = view.steps(out.run_id)
    assert steps == sorted(native), (steps, sorted(native))
    for step in steps:
        got = view.state_at(out.run_id, step)["values"]
        assert normalise(got) == normalise(native[step].values), f"{name} after step {step}"
    # the timeline's node events in LangGraph's order (its checkpoints' ``next`` per step)
    ran = [(e.step, e.title) for e in view.timeline(out.run_id) if e.kind == "node"]
    want = sorted((step + 1, n) for step, s in native.items() for n in s.next)
    assert sorted(ran) == want


def test_folded_state_is_not_the_checkpoint_shortcut(tmp_path):
    """Every step but the last is rebuilt from writes (the fold is what is being tested
    above, not the journal's latest checkpoint)."""
    db = str(tmp_path / "runs.db")
    out = agentc.run(ref("branching"), CASES["branching"]["input"], db=db)
    view = RunView(db)
    flags = [view.state_at(out.run_id, s)["checkpoint"] for s in view.steps(out.run_id)]
    assert flags[-1] is True and not any(flags[:-1])


AGENT_CASES = ["research_assistant", "triage_refund", "math_tutor", "weather_lookup", "pii_filter_pass"]


@pytest.mark.parametrize("name", AGENT_CASES)
def test_agent_timeline_has_the_sdk_s_model_and_tool_calls(tmp_path, name):
    """The timeline of an agent run lists the model calls (nested agents-as-tools
    included, named by their own agent) in the order ``Runner.run`` made them, and the
    tool calls it made; the diagram's counts agree."""
    from collections import Counter

    import openai_agents_oracle as O

    case = O.load_cases()[name]
    db = str(tmp_path / "runs.db")
    out = agentc.run(case["ref"], case["input"], db=db, context=O.make_context(case))
    assert out.status == "done"
    native = O.run_native(case)
    view = RunView(db)
    events = view.timeline(out.run_id)
    models = [e.node for e in events if e.kind == "model"]
    assert models == [c["agent"] for c in native["model_calls"]]
    tools = [e.title.rpartition(": ")[2] for e in events if e.kind == "tool"]
    assert Counter(tools) == Counter(n for n, _ in native["tool_calls"])
    taken = view.taken(out.run_id)
    assert {k: v for k, v in taken.items() if "/" not in k and k != "__start__"} == dict(Counter(models))


# ---------------------------------------------------------------- one reader: the console's timeline is `agentc history`
def _answered_trip(db: str, run_id: str):
    import openai_agents_oracle as O

    case = O.load_cases()["travel_booker"]
    agentc.run(case["ref"], case["input"], db=db, context=O.make_context(case), run_id=run_id)
    by_tool = {p["tool"]: p["id"] for p in RunView(db).run(run_id)["interrupts"]}
    agentc.resume(run_id, {"approve": [by_tool["book_flight"]],
                           "reject": [{"id": by_tool["book_hotel"], "message": "not this one"}]}, db=db)
    return case


@pytest.mark.parametrize("name", ["hitl_review", "retry", "travel_booker"])
def test_console_timeline_shows_every_event_agentc_history_reads_in_its_order(tmp_path, name):
    """The console and ``agentc history`` read a run through one reader: every history
    event but the status changes is on the timeline, numbered as ``agentc history``
    numbers it (the number ``agentc fork --at`` takes), in the same order — answers and
    retries included (the journal-table reader the console had before showed neither a
    retry nor an answer where it was given)."""
    from agentc.audit import history

    db = str(tmp_path / "runs.db")
    if name == "travel_booker":
        _answered_trip(db, "r")
    else:
        out = agentc.run(ref(name), CASES[name]["input"], db=db, run_id="r")
        for answer in CASES[name].get("resumes", []):
            out = agentc.resume("r", answer, db=db)
        assert out.status == "done"
    h = history("r", db=db)
    want = [e.seq for e in h.events if e.kind != "status"]
    shown = [e.seq for e in RunView(db).timeline("r") if e.seq is not None]
    assert list(dict.fromkeys(shown)) == want  # an approval answer is one decision per tool call
    kinds = {e.kind for e in RunView(db).timeline("r")}
    match name:
        case "retry":
            assert "retry" in kinds
            retry = next(e for e in RunView(db).timeline("r") if e.kind == "retry")
            assert "ConnectionError" in retry.data["error"]
        case "hitl_review":
            answers = [e for e in RunView(db).timeline("r") if e.kind == "answer"]
            assert [a.data for a in answers] == CASES[name]["resumes"] and answers[0].node == "review"
        case "travel_booker":
            titles = [e.title for e in RunView(db).timeline("r")]
            assert "approved: book_flight" in titles and "rejected: book_hotel" in titles


def test_fork_records_its_origin_and_the_original_lists_its_forks(tmp_path):
    import sqlite3

    from agentc.audit import fork

    db = str(tmp_path / "runs.db")
    agentc.run(ref("chain"), CASES["chain"]["input"], db=db, run_id="c")
    fork("c", db=db, at=3, value={"tokens": ["a", "b"]}, new_run_id="c-alt")
    fork("c", db=db, at=2, new_run_id="c-same")
    view = RunView(db)
    assert view.lineage("c")["origin"] is None
    assert [(f["run_id"], f["at"], f["changed"]) for f in view.lineage("c")["derived"]] == \
        [("c-alt", 3, True), ("c-same", 2, False)]
    origin = view.lineage("c-alt")["origin"]
    assert (origin["origin"], origin["kind"], origin["value"]) == ("c", "fork", {"tokens": ["a", "b"]})
    # a journal made before the lineage table: no forks, no error (the console cannot create it)
    con = sqlite3.connect(db)
    con.execute("DROP TABLE lineage")
    con.commit()
    con.close()
    assert view.lineage("c") == {"origin": None, "derived": []}


def test_compare_diff_of_a_graph_fork_is_the_one_agentc_fork_reports_and_answers_stay_in_place(tmp_path):
    """A fork is seeded with every answer its origin got, committed up front; read back
    plainly the answers would show as moved before the altered step. Both the fork's own
    report and the console's compare page put them where the origin got them: the diff is
    the altered draft and what follows from it, nothing else."""
    from agentc.audit import fork
    from agentc.ui.compare import diff

    db = str(tmp_path / "runs.db")
    agentc.run(ref("hitl_review"), CASES["hitl_review"]["input"], db=db, run_id="h")
    for answer in CASES["hitl_review"]["resumes"]:
        agentc.resume("h", answer, db=db)
    r = fork("h", db=db, at=2, value={"draft": "<script>alert(1)</script>"}, new_run_id="h2")
    assert r.status == "done"
    changed = [line for line in r.diff if line[:1] in "+-" and not line.startswith(("---", "+++"))]
    # the same steps and answers in the same places: only what the draft changed differs
    what = {m.group(1) or m.group(2) for m in (re.match(r"[+-](?:  write (\w+)|(\w+))", line) for line in changed)}
    assert what == {"draft", "published", "final"}, r.diff
    assert '+  write draft = "<script>alert(1)</script>"' in changed
    view = RunView(db)
    assert [line for _, line in diff(view.history("h"), view.history("h2"), True)] == r.diff
