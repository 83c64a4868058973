"""An agent whose model puts Conductor expressions and JavaScript into tool arguments
(tests/test_conductor_agents.py: they must reach the tool as plain text)."""
from agents import Agent, function_tool

from agentc.fixtures.openai_agents.fake_model import ALWAYS, FakeModel, Rule, call, say

SEEN: list[str] = []


@function_tool
def echo(text: str) -> str:
    """Echo the text.

    Args:
        text: What to echo.
    """
    SEEN.append(text)
    return f"echo: {text}"


agent = Agent(
    name="Echo ${workflow.input}",
    instructions="Echo twice.",
    tools=[echo],
    model=FakeModel("Echo", [
        Rule("echo", lambda r: not r.called("echo"),
             lambda r: [call("echo", text="${workflow.input}"), call("echo", text="x'); throw 1; ('")]),
        Rule("done", ALWAYS, lambda r: [say("done: " + " | ".join(r.outputs_of("echo")))]),
    ]),
)
