"""Human-in-the-loop across processes: `agentc run` pauses (exit 3, nothing resident),
a new process resumes it with a value, and the result equals LangGraph's own
`Command(resume=...)` run."""
import json
import subprocess
import sys

import pytest

import harness


def cli(*args, db):
    return subprocess.run([sys.executable, "-m", "agentc.cli", *args, "--db", db],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name", ["hitl_review", "hitl_parallel", "breakpoints"])
def test_pause_exit_resume_in_new_process(name, tmp_path):
    db = str(tmp_path / "runs.db")
    case = harness.CASES[name]
    proc = cli("run", harness.ref(name), "--input", json.dumps(case["input"]), db=db)
    assert proc.returncode == 3, proc.stderr
    for i, answer in enumerate(case["resumes"]):
        paused = json.loads(proc.stdout)
        assert paused["status"] == "waiting" and paused["run_id"]
        # the run is listed as waiting by another process
        listing = json.loads(cli("runs", "--json", db=db).stdout)
        assert {"run_id": paused["run_id"], "status": "waiting"}.items() <= listing[0].items()
        args = ["resume", paused["run_id"]]
        if answer is not None:
            pending = [p for p in paused["interrupts"] if p["kind"] == "interrupt"]
            value = {p["id"]: answer[p["node"]] for p in pending} if isinstance(answer, dict) and len(pending) > 1 else answer
            args += ["--value", json.dumps(value)]
        proc = cli(*args, db=db)
        expected_rc = 0 if i == len(case["resumes"]) - 1 else 3
        assert proc.returncode == expected_rc, proc.stderr
    assert json.loads(proc.stdout) == harness.normalise(harness.native(name))
    assert json.loads(cli("runs", "--json", db=db).stdout)[0]["status"] == "done"


def test_kth_interrupt_gets_kth_answer_and_node_reruns(tmp_path):
    """hitl_review asks twice in one node: answers go to the calls in order."""
    db = str(tmp_path / "runs.db")
    import agentc

    out = agentc.run(harness.ref("hitl_review"), harness.CASES["hitl_review"]["input"], db=db)
    first = out.interrupts[0]
    out = agentc.resume(out.run_id, True, db=db)
    second = out.interrupts[0]
    assert first["value"] != second["value"]  # the node re-ran from its top and reached the 2nd call
    assert first["id"] != second["id"]
    out = agentc.resume(out.run_id, "Looks great", db=db)
    assert out.status == "done"


def test_resume_needs_id_map_when_several_pending(tmp_path):
    db = str(tmp_path / "runs.db")
    proc = cli("run", harness.ref("hitl_parallel"), "--input", json.dumps(harness.CASES["hitl_parallel"]["input"]), db=db)
    run_id = json.loads(proc.stdout)["run_id"]
    bad = cli("resume", run_id, "--value", '"approve"', db=db)
    assert bad.returncode == 2 and "AC112" in bad.stderr and "Traceback" not in bad.stderr
    # the run is still waiting and can be answered properly afterwards
    assert json.loads(cli("runs", "--json", db=db).stdout)[0]["status"] == "waiting"
