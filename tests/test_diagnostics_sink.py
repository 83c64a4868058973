"""The diagnostics sink (compiler/errors.py, docs/architecture.md "Diagnostics"): WARN
collects warnings, RAISE collects errors and raises once at the end with all of them,
IMMEDIATE raises at the first; unsupported constructs are collected at every level but
IMMEDIATE, so one compile reports them all; overloaded codes are split."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from agentc import api
from agentc.errors import AgentcError, Code, Diagnostic, ErrorLevel, Warnings

TWO_REFUSALS = textwrap.dedent("""
    from typing import Annotated, TypedDict
    from langgraph.channels.untracked_value import UntrackedValue
    from langgraph.graph import StateGraph, START

    class S(TypedDict):
        x: int
        scratch: Annotated[str, UntrackedValue]

    def work(s):
        return {"x": 1}

    def on_error(s, error):
        return {"x": -1}

    b = StateGraph(S)
    b.add_node("work", work, error_handler=on_error)
    b.add_edge(START, "work")
    graph = b.compile()
""")

# a cache_policy (AC203, a warning by default) and a node nothing reaches (AC202)
TWO_FINDINGS = textwrap.dedent("""
    from typing import TypedDict
    from langgraph.graph import StateGraph, START
    from langgraph.types import CachePolicy

    class S(TypedDict):
        x: int

    def work(s):
        return {"x": 1}

    def orphan(s):
        return {"x": 2}

    b = StateGraph(S)
    b.add_node("work", work, cache_policy=CachePolicy())
    b.add_node("orphan", orphan)
    b.add_edge(START, "work")
    graph = b.compile()
""")


def _ref(tmp_path, name: str, source: str) -> str:
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    return f"{path}:graph"


def cli(*args):
    return subprocess.run([sys.executable, "-m", "agentc.cli", *args], capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("level", [ErrorLevel.WARN, ErrorLevel.RAISE])
def test_two_unsupported_constructs_are_reported_together(tmp_path, level):
    with pytest.raises(AgentcError) as err:
        api.compile(_ref(tmp_path, "two_refusals", TWO_REFUSALS), "ir", level=level)
    codes = [d.code for d in err.value.diagnostics]
    assert codes == [Code.UNSUPPORTED, Code.UNSUPPORTED]
    constructs = " ".join(d.construct for d in err.value.diagnostics)
    assert "scratch" in constructs and "error_handler" in constructs
    assert all(d.severity == "error" for d in err.value.diagnostics)


def test_immediate_stops_at_the_first_unsupported_construct(tmp_path):
    with pytest.raises(AgentcError) as err:
        api.compile(_ref(tmp_path, "two_refusals_now", TWO_REFUSALS), "ir", level=ErrorLevel.IMMEDIATE)
    assert [d.code for d in err.value.diagnostics] == [Code.UNSUPPORTED]


def test_raise_collects_findings_of_every_stage_and_raises_once(tmp_path):
    ref = _ref(tmp_path, "two_findings", TWO_FINDINGS)
    with pytest.raises(AgentcError) as err:
        api.compile(ref, "ir", level=ErrorLevel.RAISE)
    assert [d.code for d in err.value.diagnostics] == [Code.IGNORED_OPTION, Code.UNREACHABLE_NODE]
    warnings = Warnings()
    api.compile(ref, "ir", level=ErrorLevel.WARN, warnings=warnings)
    assert [d.code for d in warnings.items] == [Code.IGNORED_OPTION, Code.UNREACHABLE_NODE]
    assert all(d.severity == "warning" for d in warnings.items) and not warnings.errors


def test_cli_prints_every_collected_error(tmp_path):
    proc = cli("compile", _ref(tmp_path, "two_refusals_cli", TWO_REFUSALS), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.count("error[AC200]") == 2, proc.stderr
    assert proc.stdout == "" and not (tmp_path / "o").exists()


def test_sink_levels():
    diag = Diagnostic(Code.IGNORED_OPTION, "x is ignored", construct="x", hint="h")
    sink = Warnings()
    sink.add(diag, ErrorLevel.IGNORE)
    sink.add(diag, ErrorLevel.WARN)
    sink.add(diag, ErrorLevel.RAISE)
    assert len(sink.items) == 1 and len(sink.errors) == 1
    with pytest.raises(AgentcError) as err:
        sink.add(Diagnostic(Code.UNREACHABLE_NODE, "y", hint="h"), ErrorLevel.IMMEDIATE)
    assert [d.code for d in err.value.diagnostics] == [Code.IGNORED_OPTION, Code.UNREACHABLE_NODE]
    with pytest.raises(AgentcError) as err:
        sink.raise_errors()
    assert len(err.value.diagnostics) == 1
    sink.raise_errors()  # raised once: nothing is left


def test_a_target_refusal_leaves_through_the_sink_with_what_it_holds():
    sink = Warnings()
    sink.add(Diagnostic(Code.IGNORED_OPTION, "first", hint="h"), ErrorLevel.RAISE)
    refusal = AgentcError(Code.UNSUPPORTED, "the plan refuses", construct="router", hint="h")
    raised = sink.fail(refusal)
    assert [d.code for d in raised.diagnostics] == [Code.IGNORED_OPTION, Code.UNSUPPORTED]
    assert Warnings().fail(refusal) is refusal


def test_simulate_without_folder_is_a_missing_option_not_a_bad_ref():
    proc = cli("simulate")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "error[AC113]" in proc.stderr, proc.stderr


def test_unknown_target_keeps_its_code_under_a_specific_name():
    with pytest.raises(AgentcError) as err:
        api.compile("agentc.fixtures.langgraph.chain:graph", "nope")
    assert err.value.code is Code.UNKNOWN_TARGET and err.value.code.value == "AC100"
