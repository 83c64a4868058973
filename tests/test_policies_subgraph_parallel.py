"""Per-run counts that parallel subgraph calls cannot keep are refused (docs/policies.md,
"Counts across subgraph calls"; compiler/parallel_counts.py): a subgraph call starts from
the counts at the start of its superstep, so two calls in one superstep (a ``Send`` fan-out
to a subgraph node, or two subgraph nodes after START) would not see each other's calls and
a ``max_calls`` inside them, or a token / money budget, could be passed with no verdict.
Before the check these policies were accepted, and a run of ``fanned`` with three jobs under
``max_calls = 2`` on ``"ops/migrate"`` migrated three times. Rules the schedules prove safe
(the subgraph's calls run one at a time, or the other task counts something else) are
accepted as before (the sequential runs: tests/test_policies_subgraph_counts.py).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

import agentc
from agentc.fixtures.langgraph import sub_counts as S

FANNED = "agentc.fixtures.langgraph.sub_counts:fanned"
SIDE = "agentc.fixtures.langgraph.sub_counts:side_by_side"
LOOPED = "agentc.fixtures.langgraph.sub_counts:looped"
COUNTED = "agentc.fixtures.langgraph.sub_counts:counted"
PRICES = '[policies.prices."fake"]\ninput = 1.0\noutput = 1.0\n'

BAD = [
    (
        "Send fan-out to the subgraph",
        FANNED,
        '[policies.nodes."ops/migrate"]\nmax_calls = 2\n',
        2,
        "a Send fan-out to 'ops'",
    ),
    (
        "ToolNode tool in two parallel subgraphs",
        SIDE,
        "[policies.tools.count_rows]\nmax_calls = 1\n",
        2,
        "node 'second'",
    ),
    (
        "token budget, parallel subgraphs",
        SIDE,
        "[policies.run]\nmax_tokens = 100\n",
        2,
        "the run's max_tokens",
    ),
    (
        "money budget, Send fan-out",
        FANNED,
        "[policies.run]\nmax_cost_usd = 1.0\n" + PRICES,
        2,
        "the run's max_cost_usd",
    ),
]


def compile_with(text: str, ref: str, tmp_path, target: str = "local"):
    p = tmp_path / "p.toml"
    p.write_text(text)
    return subprocess.run(
        [sys.executable, "-m", "agentc.cli", "--policy", str(p), "compile", ref,
         "--target", target, "-o", str(tmp_path / "o")],
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip


@pytest.mark.parametrize("name,ref,text,line,needle", BAD, ids=[b[0] for b in BAD])
def test_parallel_subgraph_counts_are_refused_with_the_line(name, ref, text, line, needle,
                                                            tmp_path):  # fmt: skip
    out = compile_with(text, ref, tmp_path)
    err = out.stderr
    assert out.returncode == 2 and "AC200" in err and f"p.toml:{line}" in err, err
    assert needle in err and "Counts across subgraph calls" in err, err
    assert "Traceback" not in err


@pytest.mark.parametrize("target", ["conductor", "temporal"])
def test_the_engines_refuse_the_fan_out_too(target, tmp_path):
    out = compile_with(BAD[0][2], FANNED, tmp_path, target)
    assert out.returncode == 2 and "AC200" in out.stderr and "p.toml:2" in out.stderr, out.stderr


def test_the_hole_the_refusal_closes_is_real():
    """Natively, the three parallel calls of ``ops`` migrate three times in one superstep:
    a per-run limit of two has to stop the third, which no call can see."""
    S.EXECUTED.clear()
    out = S.fanned.invoke({"jobs": [0, 1, 2]})
    assert [e for e in S.EXECUTED if e.startswith("migrate")] == [
        "migrate 0",
        "migrate 1",
        "migrate 2",
    ]
    assert len(out["log"]) == 6


GOOD = [
    # only `first` counts "first/tools"; `second`, beside it, counts other things
    (
        "a node of one of two parallel subgraphs",
        SIDE,
        '[policies.nodes."first/tools"]\nmax_calls = 1\n',
    ),
    # a root node's count: the step's earlier tasks are added in LangGraph's task order
    ("the fanned-out subgraph node itself", FANNED, "[policies.nodes.ops]\nmax_calls = 2\n"),
    ("one subgraph called in a loop", LOOPED, '[policies.nodes."ops/migrate"]\nmax_calls = 2\n'),
    ("three subgraphs one after another", COUNTED, "[policies.tools.count_rows]\nmax_calls = 2\n"),
    ("a budget on subgraphs one after another", COUNTED, "[policies.run]\nmax_tokens = 100\n"),
]


@pytest.mark.parametrize("name,ref,text", GOOD, ids=[g[0] for g in GOOD])
def test_counts_the_schedules_prove_sequential_are_accepted(name, ref, text, tmp_path):
    from agentc.policies import apply_policies
    from agentc.refs import load_ref

    p = tmp_path / "p.toml"
    p.write_text(text)
    wf = apply_policies(agentc.load(ref), load_ref(ref), p)
    assert wf.policies is not None
