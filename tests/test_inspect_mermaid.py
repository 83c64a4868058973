"""`agentc inspect` draws valid Mermaid for any node name, and agent systems with their tools.

Validity is checked by mermaid's own parser (the npm package, run under node with jsdom for
the browser it expects; tests/js/). ``npm ci`` installs it into tests/js/node_modules the
first time (pinned by tests/js/package-lock.json)."""
import json
import shutil
import subprocess
import textwrap
from pathlib import Path

import agentc
import pytest
from agentc.inspect import mermaid

JS = Path(__file__).resolve().parent / "js"
KEYWORDS = ("end", "graph", "class", "style", "click", "subgraph")
ODD = ('a-b', 'a_b', 'say "hi" #1 <b>', "semi;colon (x)", "x.y", "ünï", "1st", "classDef", "default")


@pytest.fixture(scope="module")
def parse():
    node, npm = shutil.which("node"), shutil.which("npm")
    assert node and npm, "node and npm are needed to check Mermaid with mermaid's own parser"
    import fcntl

    with open(JS / ".install.lock", "w") as lock:  # xdist workers: one `npm ci`, the others wait for it
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (JS / "node_modules" / ".agentc-installed").exists():
            proc = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=JS, capture_output=True, text=True,
                                  timeout=600)
            assert proc.returncode == 0, f"npm ci in {JS} failed:\n{proc.stderr[-3000:]}"
            (JS / "node_modules" / ".agentc-installed").touch()

    def check(*texts):
        proc = subprocess.run([node, str(JS / "mermaid_parse.mjs")], input=json.dumps(list(texts)),
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)

    return check


def write_graph(tmp_path, names, *, subgraph_name="end"):
    (tmp_path / "odd_names.py").write_text(textwrap.dedent(f'''
        from typing import TypedDict
        from langgraph.graph import END, START, StateGraph
        from langgraph.types import interrupt

        class S(TypedDict):
            x: int

        NAMES = {list(names)!r}

        def step(state):
            return {{"x": state["x"] + 1}}

        def ask(state):
            return {{"x": interrupt("ok?")}}

        def route(state):  # no Literal annotation, no path_map: any node may come next
            return END

        inner = StateGraph(S)
        inner.add_node("end", step)
        inner.add_node("graph", step)
        inner.add_edge(START, "end")
        inner.add_edge("end", "graph")

        b = StateGraph(S)
        for n in NAMES:
            b.add_node(n, step)
        b.add_node("style", ask)
        b.add_node({subgraph_name!r}, inner.compile())
        b.add_edge(START, NAMES[0])
        for a, c in zip(NAMES, NAMES[1:]):
            b.add_edge(a, c)
        b.add_edge(NAMES[-1], "style")
        b.add_edge("style", {subgraph_name!r})
        b.add_conditional_edges({subgraph_name!r}, route)
        graph = b.compile()
    '''))
    return f"{tmp_path / 'odd_names.py'}:graph"


def test_the_parser_rejects_what_it_should(parse):
    """The check can fail: a keyword as a node id, and the old unquoted forms, are errors."""
    assert parse("flowchart TD\n  a --> b")[0] is None
    assert all(parse(f"flowchart TD\n  {k} --> b")[0] for k in KEYWORDS if k != "click")
    assert parse('flowchart TD\n  a --> end["end"]')[0]


def test_keyword_and_odd_node_names_give_valid_mermaid(tmp_path, parse):
    names = [n for n in (*KEYWORDS, *ODD) if n not in ("style", "end")]
    wf = agentc.load(write_graph(tmp_path, names))
    text = mermaid(wf)
    assert parse(text) == [None], text
    for n in (*names, "style", "end"):  # every name is shown, as a quoted label
        label = n.replace("#", "#35;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
        assert f'["{label}"]' in text or f'{{{{"{label}"}}}}' in text, (n, text)
    ids = [line.split("[")[0].split("(")[0].split("{")[0].strip() for line in text.splitlines()[1:]
           if "-->" not in line and "-.->" not in line and line.strip() != "end"]
    ids = [i.removeprefix("subgraph ") for i in ids]
    assert len(ids) == len(set(ids)), ids  # a-b and a_b do not share a box
    # the branch without declared targets points at the marked "any node" box
    assert '-.->|"route: any node"| x_any_node' in text
    assert 'x_any_node(["any node"])' in text


def test_every_fixture_graph_and_agent_gives_valid_mermaid(parse):
    import harness

    graphs = [harness.ref(n) for n in sorted(harness.CASES)]
    agents = [f"agentc.fixtures.openai_agents.{p.stem}:agent"
              for p in sorted((harness.ROOT / "fixtures" / "openai_agents").glob("*.py"))
              if p.stem not in ("__init__", "fake_model")]
    texts = [mermaid(agentc.load(ref)) for ref in graphs + agents]
    results = parse(*texts)
    bad = [(ref, err) for ref, err in zip(graphs + agents, results) if err]
    assert not bad, bad


def test_agent_diagrams_show_tools_handoffs_agents_as_tools_and_guardrails(parse):
    research = mermaid(agentc.load("agentc.fixtures.openai_agents.research_assistant:agent"))
    triage = mermaid(agentc.load("agentc.fixtures.openai_agents.triage:agent"))
    guard = mermaid(agentc.load("agentc.fixtures.openai_agents.homework_guard:agent"))
    assert parse(research, triage, guard) == [None, None, None]
    assert '|"as tool summarize_notes"| a_Summarizer' in research, research
    assert '[["function tool lookup_customer"]]' in triage, triage  # a function tool is a box of its own
    assert '-->|"handoff transfer_to_billing"| a_Billing' in triage, triage
    assert '{{"input guardrail homework_check"}}' in guard, guard
