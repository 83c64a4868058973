"""OpenAI Agents SDK edge cases on the local target, the Conductor simulation and Temporal,
each against ``Runner.run`` (tests/openai_agents_oracle.py): typed run contexts given as
JSON or by a factory, user code that raises (a diagnostic naming it, a failed and
resumable run, bounded retries), tool timeouts and ``failure_error_function``, IR plan ids
stable across processes, runs started from Python resumable from the CLI. The agents are
in tests/agents_edges.py."""
import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import openai_agents_oracle as O

import agentc
from agentc.fixtures.openai_agents.fake_model import recording
from agentc.targets.conductor.simulate import Simulation

HERE = Path(__file__).parent
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}


def cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "agentc.cli", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd, env=ENV)


# ====================================================================== 16: plan ids across processes
@pytest.mark.parametrize("ref", ["agents_edges:loose_agent", "agents_edges:timeout_agent"])
def test_plan_id_is_the_same_in_every_process(ref, tmp_path):
    """Non-strict output types and retry settings (a policy function) once put memory
    addresses into the IR: the Conductor simulation refused its own artifact (AC122)."""
    code = ("import sys, agentc; from agentc.plan.layout import plan_id; "
            "print(plan_id(agentc.load(sys.argv[1])))")
    ids = set()
    for seed in ("1", "2", "3"):
        r = subprocess.run([sys.executable, "-c", code, ref], capture_output=True, text=True, timeout=300,
                           cwd=tmp_path, env={**ENV, "PYTHONHASHSEED": seed})
        assert r.returncode == 0, r.stderr
        ids.add(r.stdout.strip())
    assert len(ids) == 1, ids


def test_loose_output_type_simulates_after_compile(tmp_path):
    ref = "agents_edges:loose_agent"
    assert cli("compile", ref, "--target", "conductor", "--out", "c", cwd=tmp_path).returncode == 0
    r = cli("simulate", "c", "--input", '"hi"', cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["final_output"] == O.run_native({"ref": ref, "input": "hi"})["final_output"]
