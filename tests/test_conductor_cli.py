"""The Conductor target through the `agentc` command, in fresh processes: compile (with
its compile report), validate (exit 1 with rule ids, 0 when clean), simulate with the
output contract of `agentc run` (exit 3 at a HUMAN task, resumed by another process), and
`agentc check` failing when the validator finds a violation."""
import json
import subprocess
import sys
import textwrap

import harness


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "agentc.cli", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd)


def test_compile_reports_the_layout(tmp_path):
    r = cli("compile", harness.ref("router_loop"), "--target", "conductor", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert "conductor: graph router_loop: structured" in r.stderr
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [".agentc-output", "manifest.json", "router_loop.workflow.json", "taskdefs.json"]


def test_validate_clean_and_dirty(tmp_path):
    out = tmp_path / "out"
    assert cli("compile", harness.ref("map_reduce"), "-t", "conductor", "-o", str(out)).returncode == 0
    ok = cli("validate", str(out))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    wf = json.loads((out / "map_reduce.workflow.json").read_text())
    wf["tasks"].append(dict(wf["tasks"][0]))  # a duplicate reference name (B8)
    wf["schemaVersion"] = 1  # B3
    (out / "map_reduce.workflow.json").write_text(json.dumps(wf))
    bad = cli("validate", str(out))
    assert bad.returncode == 1
    assert "B8" in bad.stdout and "B3" in bad.stdout and "Traceback" not in bad.stderr


def test_simulate_prints_the_final_state_like_run(tmp_path):
    out = tmp_path / "out"
    assert cli("compile", harness.ref("branching"), "-t", "conductor", "-o", str(out)).returncode == 0
    case = harness.CASES["branching"]
    r = cli("simulate", str(out), "--input", json.dumps(case["input"]))
    assert r.returncode == 0, r.stderr
    assert harness.normalise(json.loads(r.stdout)) == harness.normalise(harness.native("branching"))


def test_simulate_pauses_and_resumes_in_another_process(tmp_path):
    out, state = tmp_path / "out", tmp_path / "sims"
    assert cli("compile", harness.ref("hitl_review"), "-t", "conductor", "-o", str(out)).returncode == 0
    case = harness.CASES["hitl_review"]
    r = cli("simulate", str(out), "--input", json.dumps(case["input"]), "--state-dir", str(state))
    assert r.returncode == 3, r.stderr
    for answer in case["resumes"]:
        paused = json.loads(r.stdout)
        assert paused["status"] == "waiting" and paused["interrupts"][0]["kind"] == "interrupt"
        r = cli("simulate", "--resume", paused["run_id"], "--value", json.dumps(answer), "--state-dir", str(state))
    assert r.returncode == 0, r.stderr
    assert harness.normalise(json.loads(r.stdout)) == harness.normalise(harness.native("hitl_review"))


def test_simulate_bad_folder_is_a_diagnostic(tmp_path):
    r = cli("simulate", str(tmp_path), "--input", "{}")
    assert r.returncode == 2
    assert "AC403" in r.stderr and "Traceback" not in r.stderr


def test_check_fails_on_a_validator_violation(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent(f"""
        [tool.agentc]
        out = "build"
        targets = ["conductor"]
        agents = ["{harness.ref('chain')}"]
    """))
    assert cli("check", "--update", cwd=tmp_path).returncode == 0
    assert cli("check", cwd=tmp_path).returncode == 0
    from agentc import api
    from agentc.check import check
    from agentc.targets.conductor import lowering

    monkeypatch.setattr(lowering, "OWNER", "")  # every server before v3.22 requires ownerEmail (B5)
    report = check(tmp_path / "pyproject.toml")
    assert any("B5" in p.message for p in report.problems), [p.message for p in report.problems]
    assert api  # imported for the monkeypatched module to be the one check uses


def test_simulations_get_their_own_run_ids_and_a_finished_one_stays_finished(tmp_path):
    """Two paused simulations of one artifact do not overwrite each other; each resumes to
    LangGraph's result; resuming a finished one again is refused (AC121), not re-run with
    new answers."""
    out, state = tmp_path / "out", tmp_path / "sims"
    assert cli("compile", harness.ref("hitl_review"), "-t", "conductor", "-o", str(out)).returncode == 0
    case = harness.CASES["hitl_review"]
    first = cli("simulate", str(out), "--input", json.dumps(case["input"]), "--state-dir", str(state))
    second = cli("simulate", str(out), "--input", json.dumps(case["input"]), "--state-dir", str(state))
    assert first.returncode == second.returncode == 3, first.stderr + second.stderr
    ids = [json.loads(r.stdout)["run_id"] for r in (first, second)]
    assert ids[0] != ids[1], ids
    expected = harness.normalise(harness.native("hitl_review"))
    for run_id in ids:
        for answer in case["resumes"]:
            r = cli("simulate", "--resume", run_id, "--value", json.dumps(answer), "--state-dir", str(state))
        assert r.returncode == 0, r.stderr
        assert harness.normalise(json.loads(r.stdout)) == expected
    again = cli("simulate", "--resume", ids[0], "--value", json.dumps(case["resumes"][-1]), "--state-dir", str(state))
    assert again.returncode == 2, again.stdout + again.stderr
    assert "error[AC121]" in again.stderr and "hint:" in again.stderr and "Traceback" not in again.stderr
    assert again.stdout == ""
