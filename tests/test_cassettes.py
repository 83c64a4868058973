"""``agentc.testing`` (docs/testing.md): a cassette test records a run once, then replays it
with zero model calls; when the agent's code changes its behaviour the test fails with the
trajectory diff; ``--agentc-record`` records again."""
import json

pytest_plugins = ["pytester"]

AGENT_MODULE = '''
import os

from agents import Agent, function_tool

from agentc.fixtures.openai_agents.fake_model import FakeModel, Rule, call, say


@function_tool
def lookup(order_id: str) -> str:
    """Status of an order."""
    return f"{order_id}: " + os.environ.get("STATUS", "shipped")


agent = Agent(
    name="Desk",
    instructions=os.environ.get("INSTRUCTIONS", "Look the order up."),
    tools=[lookup],
    model=FakeModel("Desk", [
        Rule("lookup", lambda r: not r.called("lookup"), lambda r: [call("lookup", order_id="B-1")]),
        Rule("reply", lambda r: True, lambda r: [say("Order " + r.output_of("lookup"))]),
    ]),
)
'''

TEST_MODULE = '''
from agentc.fixtures.openai_agents.fake_model import recording


def test_desk(agent_cassette):
    with recording() as log:
        out = agent_cassette.run("desk_agent:agent", "Where is B-1?", live_tools=True)
    assert out["final_output"].startswith("Order B-1")
    if not agent_cassette.recorded:
        assert log.calls == []  # replayed: no model was called
    print("MODE", "recorded" if agent_cassette.recorded else "replayed", len(log.calls))
'''


def run(pytester, *args, **env):
    for k, v in env.items():
        pytester._monkeypatch.setenv(k, v)
    return pytester.runpytest_subprocess("-s", "-p", "no:cacheprovider", *args)


def test_record_then_replay_then_fail_with_the_diff(pytester):
    pytester.makepyfile(desk_agent=AGENT_MODULE, test_desk=TEST_MODULE)
    first = run(pytester)
    first.assert_outcomes(passed=1)
    assert "MODE recorded 2" in first.stdout.str()
    cassette = pytester.path / "cassettes" / "test_desk.json"
    assert json.loads(cassette.read_text())["format"] == "agentc.transcript"

    again = run(pytester)
    again.assert_outcomes(passed=1)
    assert "MODE replayed 0" in again.stdout.str()

    # the tool's code changed: its live result differs, the test fails with the diff
    changed = run(pytester, STATUS="lost")
    changed.assert_outcomes(failed=1)
    out = changed.stdout.str()
    assert "no longer behaves as recorded" in out and "its trajectory differs" in out
    assert '-tool lookup({"order_id": "B-1"}) -> "B-1: shipped"' in out
    assert '+tool lookup({"order_id": "B-1"}) -> "B-1: lost"' in out

    # the prompt changed: the model is asked something the cassette has no answer for
    prompt = run(pytester, STATUS="shipped", INSTRUCTIONS="Be brief.")
    prompt.assert_outcomes(failed=1)
    assert "it stopped at model call of agent 'Desk'" in prompt.stdout.str()

    # recording again accepts the change
    rerecord = run(pytester, "--agentc-record", STATUS="shipped", INSTRUCTIONS="Be brief.")
    rerecord.assert_outcomes(passed=1)
    run(pytester, STATUS="shipped", INSTRUCTIONS="Be brief.").assert_outcomes(passed=1)
