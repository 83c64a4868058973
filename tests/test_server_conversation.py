"""``Runner.run``'s ``previous_response_id``, ``auto_previous_response_id`` and
``conversation_id`` are refused loudly (AC200 naming the option, exit 2 on the CLI) however
they are passed: ``agentc.run`` keywords, ``agentc run`` flags, a ``--run-config`` REF
(compiler/server_conversation.py; docs/openai-agents.md, "`Runner.run` parameters")."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import agentc
from agentc.errors import AgentcError

HERE = Path(__file__).parent
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
REF = "agents_sessions:memo"


@pytest.mark.parametrize("option, value", [("previous_response_id", "resp_1"), ("conversation_id", "conv_1"),
                                           ("auto_previous_response_id", True)])
def test_api_keywords_are_refused(option, value, tmp_path):
    with pytest.raises(AgentcError) as e:
        agentc.run(REF, "hi", db=str(tmp_path / "r.db"), context={"chat_id": "c1"}, **{option: value})
    d = e.value.diagnostic
    assert d.code.value == "AC200" and d.construct == option and option in d.message
    assert not (tmp_path / "r.db").exists() or agentc.runs(str(tmp_path / "r.db")) == []  # nothing ran


@pytest.mark.parametrize("args, named", [(["--previous-response-id", "resp_1"], "--previous-response-id"),
                                         (["--conversation-id", "conv_1"], "--conversation-id"),
                                         (["--auto-previous-response-id"], "--auto-previous-response-id"),
                                         (["--run-config", "agents_sessions:RUNNER_KWARGS"], "conversation_id")])
def test_cli_refuses_them_with_exit_2(args, named, tmp_path):
    r = subprocess.run([sys.executable, "-m", "agentc.cli", "run", REF, "--input", json.dumps("hi"),
                        "--context", json.dumps({"chat_id": "c1"}), "--db", str(tmp_path / "r.db"), *args],
                       capture_output=True, text=True, timeout=300, cwd=tmp_path, env=ENV)
    assert r.returncode == 2, r.stderr
    assert "AC200" in r.stderr and named in r.stderr and "Traceback" not in r.stderr
    assert r.stdout == ""
