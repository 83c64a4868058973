"""``agentc simulate`` checks the input (and the run context) before the simulation starts,
as ``agentc run`` does locally and on Temporal: the same AC111 diagnostic, exit 2, nothing
printed on stdout, no simulation saved (issue 16, Task 2b)."""
import json
import subprocess
import sys

import pytest

import harness

BAD = {
    "wrong_type": ("chain", ["--input", json.dumps({"text": ["not", "a", "string"]})]),
    "not_an_object": ("chain", ["--input", '"just text"']),
    "pydantic_missing_field": ("pydantic_state", ["--input", json.dumps({"body": "x"})]),
    "pydantic_wrong_type": ("pydantic_state", ["--input", json.dumps({"title": 5})]),
    "context_missing_field": ("runtime_context", ["--input", "{}", "--context", "{}"]),
    "context_unknown_field": ("runtime_context", ["--input", "{}", "--context",
                                                  json.dumps({"user_name": "Ada", "bogus": 1})]),
}


def cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "agentc.cli", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd)


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory):
    root = tmp_path_factory.mktemp("art")
    for fixture in sorted({f for f, _ in BAD.values()}):
        r = cli("compile", harness.ref(fixture), "--target", "conductor", "--out", str(root / fixture),
                cwd=harness.ROOT)
        assert r.returncode == 0, r.stderr
    return root


@pytest.mark.parametrize("case", sorted(BAD))
def test_simulate_refuses_bad_input_like_run(case, artifacts, tmp_path):
    fixture, args = BAD[case]
    sim = cli("simulate", str(artifacts / fixture), *args, "--state-dir", str(tmp_path / "sims"), cwd=harness.ROOT)
    assert sim.returncode == 2, sim.stdout + sim.stderr
    assert "AC111" in sim.stderr and "Traceback" not in sim.stderr and sim.stdout == "", sim.stderr
    local = cli("run", harness.ref(fixture), *args, "--db", str(tmp_path / "r.db"), cwd=harness.ROOT)
    assert local.returncode == 2 and local.stderr.splitlines()[0] == sim.stderr.splitlines()[0], local.stderr
    assert not (tmp_path / "sims").exists() or not list((tmp_path / "sims").iterdir())
