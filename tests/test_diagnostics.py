"""Bad input gets a diagnostic: a stable code, the construct, its file:line, a hint;
exit status 2; no traceback; no partial output."""
import json
import re
import subprocess
import sys
import textwrap

import pytest

import harness

CHAIN = harness.ref("chain")


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "agentc.cli", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd)


def assert_diagnostic(proc, code, where=None):
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert f"error[{code}]" in proc.stderr, proc.stderr
    assert "hint:" in proc.stderr
    if where is not None:
        assert re.search(where, proc.stderr), proc.stderr
    assert proc.stdout == ""


@pytest.fixture
def userdir(tmp_path):
    (tmp_path / "boom.py").write_text("import os\n\nraise RuntimeError('config missing')\n")
    (tmp_path / "syntax.py").write_text("def f(:\n    pass\n")
    (tmp_path / "notagent.py").write_text("graph = 42\n")
    return tmp_path


def test_bad_ref_syntax():
    assert_diagnostic(cli("inspect", "no_colon_here"), "AC100")


def test_import_error_points_at_user_line(userdir):
    assert_diagnostic(cli("compile", str(userdir / "boom.py") + ":graph", "--out", str(userdir / "o")),
                      "AC101", r"boom\.py:3")
    assert not (userdir / "o").exists()


def test_syntax_error_points_at_user_line(userdir):
    assert_diagnostic(cli("inspect", str(userdir / "syntax.py") + ":graph"), "AC101", r"syntax\.py:1")


def test_missing_module():
    assert_diagnostic(cli("inspect", "no_such_pkg.agent:graph"), "AC101")


def test_missing_attribute():
    assert_diagnostic(cli("inspect", "agentc.fixtures.langgraph.chain:grpah"), "AC102", r"chain\.py")


def test_not_an_agent(userdir):
    assert_diagnostic(cli("inspect", str(userdir / "notagent.py") + ":graph"), "AC103")


def test_invalid_json_input(tmp_path):
    assert_diagnostic(cli("run", CHAIN, "--input", "{text: hi}", "--db", str(tmp_path / "r.db")), "AC110")


def test_invalid_json_file(tmp_path):
    bad = tmp_path / "in.json"
    bad.write_text('{"text": "a",\n  oops}\n')
    assert_diagnostic(cli("run", CHAIN, "--input", f"@{bad}", "--db", str(tmp_path / "r.db")), "AC110", r"in\.json:2")


def test_input_with_unknown_key_is_ignored_as_langgraph_does(tmp_path):
    """LangGraph drops input keys the state does not declare: with only a misspelt key the
    first node finds no 'text' and fails (KeyError natively); agentc reports that failure."""
    with pytest.raises(KeyError):
        harness.module("chain").graph.invoke({"txt": "hi"})
    proc = cli("run", CHAIN, "--input", '{"txt": "hi"}', "--db", str(tmp_path / "r.db"))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "error[AC300]" in proc.stderr and "KeyError: 'text'" in proc.stderr and re.search(r"chain\.py:\d+", proc.stderr)
    extra = dict(harness.CASES["chain"]["input"], txt="ignored")
    proc = cli("run", CHAIN, "--input", json.dumps(extra), "--db", str(tmp_path / "r.db"))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == harness.normalise(harness.module("chain").graph.invoke(extra))


def test_input_with_wrong_type(tmp_path):
    assert_diagnostic(cli("run", CHAIN, "--input", '{"text": ["not", "a", "string"]}', "--db", str(tmp_path / "r.db")),
                      "AC111")


def test_input_not_an_object(tmp_path):
    assert_diagnostic(cli("run", CHAIN, "--input", '"just text"', "--db", str(tmp_path / "r.db")), "AC111")


def test_pydantic_input_validation(tmp_path):
    assert_diagnostic(cli("run", harness.ref("pydantic_state"), "--input", '{"tags": 5}', "--db", str(tmp_path / "r.db")),
                      "AC111")


def test_unknown_run_id(tmp_path):
    db = str(tmp_path / "r.db")
    assert cli("run", CHAIN, "--input", json.dumps(harness.CASES["chain"]["input"]), "--db", db).returncode == 0
    assert_diagnostic(cli("resume", "nope", "--db", db), "AC120")


def test_resume_without_database(tmp_path):
    assert_diagnostic(cli("resume", "nope", "--db", str(tmp_path / "missing.db")), "AC120")


def test_finished_run_is_not_resumable(tmp_path):
    db = str(tmp_path / "r.db")
    out = cli("run", CHAIN, "--input", json.dumps(harness.CASES["chain"]["input"]), "--db", db)
    run_id = json.loads(cli("runs", "--json", "--db", db).stdout)[0]["run_id"]
    assert out.returncode == 0
    assert_diagnostic(cli("resume", run_id, "--db", db), "AC121")


def test_functional_api_is_refused_with_location(tmp_path):
    proc = cli("compile", "agentc.fixtures.langgraph.functional_refused:workflow", "--out", str(tmp_path / "o"))
    assert_diagnostic(proc, "AC200", r"functional_refused\.py:\d+")
    assert "StateGraph" in proc.stderr
    assert not (tmp_path / "o").exists()


def test_unknown_target(tmp_path):
    assert_diagnostic(cli("compile", CHAIN, "--target", "nope", "--out", str(tmp_path / "o")), "AC100")
    assert not (tmp_path / "o").exists()


def test_error_handler_is_refused(tmp_path):
    (tmp_path / "eh.py").write_text(textwrap.dedent("""
        from typing import TypedDict
        from langgraph.graph import StateGraph, START

        class S(TypedDict):
            x: int

        def work(s):
            return {"x": 1}

        def on_error(s, error):
            return {"x": -1}

        b = StateGraph(S)
        b.add_node("work", work, error_handler=on_error)
        b.add_edge(START, "work")
        graph = b.compile()
    """))
    assert_diagnostic(cli("inspect", str(tmp_path / "eh.py") + ":graph"), "AC200", r"eh\.py:\d+")


def test_check_detects_drift(tmp_path):
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent(f"""
        [tool.agentc]
        out = "gen"
        targets = ["ir", "local"]
        agents = ["{CHAIN}", "{harness.ref('subgraph')}"]
    """))
    assert cli("check", "--update", cwd=tmp_path).returncode == 0
    ok = cli("check", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    target = next((tmp_path / "gen" / "ir").rglob("*.ir.json"))
    target.write_text(target.read_text().replace('"recursion_limit": 10007', '"recursion_limit": 5'))
    drift = cli("check", cwd=tmp_path)
    assert drift.returncode == 1 and "AC400" in drift.stderr and "Traceback" not in drift.stderr


def test_check_without_config(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname='x'\n")
    assert_diagnostic(cli("check", cwd=tmp_path), "AC401")


def test_repository_check_is_clean():
    """This repo's own [tool.agentc] outputs are committed and up to date (the CI gate)."""
    proc = cli("check", cwd=str(harness.ROOT))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("ok ") >= 3


def test_check_sees_no_drift_when_only_source_positions_moved(tmp_path):
    """A comment added above a node moves every line below it; no target's output changed
    in a way a run can see, so `agentc check` stays green (and still sees real drift)."""
    src = (harness.FIXTURES / "hitl_review.py").read_text()
    (tmp_path / "g.py").write_text(src)
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent("""
        [tool.agentc]
        out = "gen"
        targets = ["ir", "local", "conductor", "temporal"]
        agents = ["g.py:graph"]
    """))
    assert cli("check", "--update", cwd=tmp_path).returncode == 0
    (tmp_path / "g.py").write_text("# reviewed by ops\n\n\n" + src)
    moved = cli("check", cwd=tmp_path)
    assert moved.returncode == 0, moved.stderr
    assert moved.stdout.count("ok ") == 4
    changed = src.replace('builder.add_edge("review", "publish")', 'builder.add_edge("review", "write_draft")')
    assert changed != src
    (tmp_path / "g.py").write_text(changed.replace('builder.add_edge("publish", END)',
                                                   'builder.add_edge("publish", END)\nbuilder.add_edge("write_draft", "publish")'))
    assert "AC400" in cli("check", cwd=tmp_path).stderr


# ---------------------------------------------------------------- run-time errors point at user code
FAILING = textwrap.dedent("""
    from typing import TypedDict
    from langgraph.graph import START, END, StateGraph


    class S(TypedDict):
        x: int
        mode: str


    def helper(v):
        return 1 // v  # HELPER


    def work(state: S) -> dict:
        return {"x": helper(state["x"])}


    def route(state: S) -> str:
        if state["mode"] == "route":
            raise ValueError("router broke")  # ROUTER
        return END


    b = StateGraph(S)
    b.add_node("work", work)
    b.add_edge(START, "work")
    b.add_conditional_edges("work", route, [END])
    graph = b.compile()
""")


def _line_of(marker):
    return next(i for i, line in enumerate(FAILING.splitlines(), 1) if marker in line)


def assert_run_failure(proc, where, inside):
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr and "<unknown location>" not in proc.stderr, proc.stderr
    assert "error[AC300]" in proc.stderr and "(node 'work')" in proc.stderr, proc.stderr
    assert f"--> {where}" in proc.stderr and f"failed in {inside}()" in proc.stderr, proc.stderr


@pytest.mark.parametrize(("mode", "marker", "inside"), [("end", "HELPER", "helper"), ("route", "ROUTER", "route")])
def test_run_time_failure_points_at_the_raising_line(tmp_path, mode, marker, inside):
    """A node's helper and a node's router raising: the diagnostic names the line in the
    user's file that raised (the deepest traceback frame there), locally and simulated."""
    (tmp_path / "failing.py").write_text(FAILING)
    ref = str(tmp_path / "failing.py") + ":graph"
    where = f"failing.py:{_line_of(marker)}"
    inp = json.dumps({"x": 0 if mode == "end" else 1, "mode": mode})
    assert_run_failure(cli("run", ref, "--input", inp, "--db", str(tmp_path / "r.db"), cwd=tmp_path), where, inside)
    assert cli("compile", ref, "-t", "conductor", "-o", str(tmp_path / "c"), cwd=tmp_path).returncode == 0
    assert_run_failure(cli("simulate", "c", "--input", inp, "--state-dir", "s", cwd=tmp_path), where, inside)


def test_agent_guardrail_trip_points_at_the_guardrail(tmp_path):
    import openai_agents_oracle

    trip = openai_agents_oracle.load_cases()["pii_filter_trip"]
    proc = cli("run", trip["ref"], "--input", json.dumps(trip["input"]), "--db", str(tmp_path / "r.db"))
    assert proc.returncode == 1 and "AC303" in proc.stderr, proc.stderr
    assert re.search(r"--> fixtures/openai_agents/pii_filter\.py:\d+ \(guardrail 'pii_blocker'\)", proc.stderr), \
        proc.stderr


def test_import_error_raised_by_a_library_points_at_the_user_line(tmp_path):
    """LangGraph refuses a node name while the user's module is imported: the diagnostic
    points at the user's add_node line, not at langgraph's own file."""
    (tmp_path / "badname.py").write_text(textwrap.dedent("""
        from typing import TypedDict
        from langgraph.graph import StateGraph

        class S(TypedDict):
            x: int

        b = StateGraph(S)
        b.add_node("a|b", lambda s: s)
        graph = b.compile()
    """))
    assert_diagnostic(cli("inspect", str(tmp_path / "badname.py") + ":graph"), "AC101", r"badname\.py:9")
