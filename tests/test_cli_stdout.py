"""stdout carries the result and nothing else: a node or tool that prints writes to stderr
under ``agentc run``, ``resume`` and ``simulate``, so ``agentc run ... | jq`` works.
``agentc simulate --recursion-limit`` gives an agent the same turn budget as ``agentc run``."""
import json
import subprocess
import sys

import pytest

GRAPH = "noisy_agents:graph"
AGENT = "noisy_agents:agent"


def cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "agentc.cli", *args], capture_output=True, text=True,
                          timeout=180, cwd=cwd, env=_env())


def _env():
    import os
    from pathlib import Path

    env = dict(os.environ)
    here = str(Path(__file__).parent)
    env["PYTHONPATH"] = here + os.pathsep + env.get("PYTHONPATH", "")
    return env


AGENT_RESULT = {"final_output": "sunny in Oslo", "last_agent": "Chatty"}


def test_native_results():
    """What the CLI must print, as the SDKs give it (the noisy prints aside)."""
    import asyncio

    from agents import Runner

    import noisy_agents

    assert noisy_agents.graph.invoke({"text": "hi"}) == {"text": "HI"}
    res = asyncio.run(Runner.run(noisy_agents.agent, "weather in Oslo?"))
    assert {"final_output": res.final_output, "last_agent": res.last_agent.name} == AGENT_RESULT


@pytest.mark.parametrize("ref, value, printed, result", [
    (GRAPH, {"text": "hi"}, "node says hello", {"text": "HI"}),
    (AGENT, "weather in Oslo?", "tool looks up Oslo", AGENT_RESULT),
])
def test_run_prints_only_the_result_on_stdout(tmp_path, ref, value, printed, result):
    proc = cli("run", ref, "--input", json.dumps(value), "--db", str(tmp_path / "r.db"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == result  # the whole of stdout is one JSON document
    assert printed in proc.stderr and printed not in proc.stdout


def test_simulate_prints_only_the_result_on_stdout(tmp_path):
    folder = tmp_path / "c"
    assert cli("compile", AGENT, "-t", "conductor", "-o", str(folder), cwd=tmp_path).returncode == 0
    proc = cli("simulate", str(folder), "--input", json.dumps("weather in Oslo?"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == AGENT_RESULT
    assert "tool looks up Oslo" in proc.stderr


def test_simulate_recursion_limit_is_the_agents_max_turns(tmp_path):
    """Runner.run(agent, ..., max_turns=1) raises MaxTurnsExceeded: the tool call takes the
    only turn. The simulation with --recursion-limit 1 fails the same way (AC304); without
    it the run finishes."""
    import asyncio

    from agents import Runner
    from agents.exceptions import MaxTurnsExceeded

    import noisy_agents

    with pytest.raises(MaxTurnsExceeded):
        asyncio.run(Runner.run(noisy_agents.agent, "weather in Oslo?", max_turns=1))
    folder = tmp_path / "c"
    assert cli("compile", AGENT, "-t", "conductor", "-o", str(folder), cwd=tmp_path).returncode == 0
    proc = cli("simulate", str(folder), "--input", json.dumps("weather in Oslo?"), "--recursion-limit", "1",
               cwd=tmp_path)
    assert proc.returncode != 0 and "AC304" in proc.stderr + proc.stdout, (proc.stdout, proc.stderr)


def test_simulate_refuses_a_recursion_limit_for_a_graph(tmp_path):
    folder = tmp_path / "c"
    assert cli("compile", GRAPH, "-t", "conductor", "-o", str(folder), cwd=tmp_path).returncode == 0
    proc = cli("simulate", str(folder), "--input", json.dumps({"text": "hi"}), "--recursion-limit", "3",
               cwd=tmp_path)
    assert proc.returncode == 2 and "error[AC401]" in proc.stderr and "hint:" in proc.stderr, proc.stderr
    assert proc.stdout == ""


@pytest.mark.parametrize("ref, value, printed, result", [
    (GRAPH, {"text": "hi"}, "node says hello", {"text": "HI"}),
    (AGENT, "weather in Oslo?", "tool looks up Oslo", AGENT_RESULT),
])
def test_temporal_run_with_worker_prints_only_the_result(temporal_address, tmp_path, ref, value, printed, result):
    """With --with-worker the user's code runs in the CLI's own process, on the worker's
    activity threads: their prints go to stderr too."""
    import uuid

    proc = cli("run", ref, "--input", json.dumps(value), "--engine", "temporal", "--address", temporal_address,
               "--with-worker", "--task-queue", f"noisy-{uuid.uuid4().hex[:8]}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == result
    assert printed in proc.stderr
