"""The SDK internals agentc depends on, one test per symbol (``agentc.compat``).

Every private LangGraph / OpenAI Agents symbol agentc uses is imported or read in
``compiler/compat/`` and nowhere else. These tests import each one and check the shape
agentc relies on — the fields it passes, the values it compares with, what it reads back —
so an SDK upgrade that moves or changes one fails here, by name, instead of somewhere deep in
a compiled run.
"""
from __future__ import annotations

import dataclasses
import inspect

import pytest
from agents import Agent, FunctionTool, function_tool, handoff
from langgraph.graph import START, StateGraph
from langgraph.types import Command, RetryPolicy
from typing_extensions import TypedDict

from agentc.compat import langgraph as lgc
from agentc.compat import openai_agents as oac


class _S(TypedDict):
    a: int


def _node(state: _S) -> dict:
    return {"a": state["a"] + 1}


# ------------------------------------------------------------------ LangGraph


def test_langgraph_task_path_and_channel_names():
    # agentc's Pregel frame names task paths and the Send channel exactly like LangGraph
    assert (lgc.PULL, lgc.PUSH, lgc.TASKS) == ("__pregel_pull", "__pregel_push", "__pregel_tasks")


def test_langgraph_config_keys_are_distinct_strings():
    keys = [lgc.CONFIG_KEY_CHECKPOINT_NS, lgc.CONFIG_KEY_CHECKPOINTER, lgc.CONFIG_KEY_RESUMING,
            lgc.CONFIG_KEY_RUNTIME, lgc.CONFIG_KEY_SCRATCHPAD, lgc.CONFIG_KEY_SEND,
            lgc.CONFIG_KEY_TASK_ID, lgc.RESUME]
    assert all(isinstance(k, str) and k for k in keys)
    assert len(set(keys)) == len(keys)


def test_langgraph_namespace_separators():
    assert (lgc.NS_SEP, lgc.NS_END) == ("|", ":")
    assert lgc.recast_ns("outer:1|inner:2") == "outer|inner"


def test_langgraph_scratchpad_fields_are_the_ones_agentc_passes():
    # semantics/nested_graphs.py builds one with exactly these keyword arguments
    assert dataclasses.is_dataclass(lgc.PregelScratchpad)
    names = {f.name for f in dataclasses.fields(lgc.PregelScratchpad)}
    assert names == {"step", "stop", "call_counter", "interrupt_counter", "get_null_resume",
                     "resume", "subgraph_counter"}


def test_langgraph_runnable_callable_wraps_the_users_function():
    builder = StateGraph(_S)
    builder.add_node("n", _node)
    runnable = builder.nodes["n"].runnable
    assert isinstance(runnable, lgc.RunnableCallable)
    assert runnable.func is _node


def test_langgraph_command_updates_are_writes():
    assert lgc.command_updates(Command(update={"a": 1, "b": 2})) == [("a", 1), ("b", 2)]
    assert lgc.command_updates(Command(update=[("a", 1), ("a", 2)])) == [("a", 1), ("a", 2)]
    assert lgc.command_updates(Command(goto="x")) == []


def test_langgraph_model_updates_for_dataclass_states():
    @dataclasses.dataclass
    class State:
        a: int = 0
        b: str = ""

    assert lgc.model_updates(State(a=3, b="x"), ["a", "b"]) == [("a", 3), ("b", "x")]
    assert lgc.model_updates({"a": 1}, ["a"]) is None
    params = list(inspect.signature(lgc.get_update_as_tuples).parameters)
    assert params[:2] == ["input", "keys"]


def test_langgraph_node_defaults_retry_policy():
    builder = StateGraph(_S)
    assert lgc.node_default_retry(builder) is None
    policy = RetryPolicy(max_attempts=2)
    builder.set_node_defaults(retry_policy=policy)
    assert lgc.node_default_retry(builder) is policy


def test_langgraph_default_recursion_limit_matches_the_ir_and_the_reader():
    from agentc.frontends.langgraph.reader import DEFAULT_RECURSION_LIMIT
    from agentc.ir.model import Graph

    assert lgc.DEFAULT_RECURSION_LIMIT == DEFAULT_RECURSION_LIMIT
    assert Graph.model_fields["recursion_limit"].default == lgc.DEFAULT_RECURSION_LIMIT


def test_langgraph_parent_command_is_raised_for_command_graph_parent():
    assert issubclass(lgc.LangGraphParentCommand, Exception)
    child = StateGraph(_S)
    child.add_node("up", lambda s: Command(graph=Command.PARENT, goto="x"))
    child.add_edge(START, "up")
    compiled = child.compile()
    with pytest.raises(lgc.LangGraphParentCommand):
        compiled.invoke({"a": 0})


# ------------------------------------------------------------------ OpenAI Agents


def test_agents_agent_tool_is_recognised_and_its_agent_found():
    inner = Agent(name="inner")
    tool = inner.as_tool(tool_name="ask_inner", tool_description="ask")

    @function_tool
    def plain(x: int) -> int:
        """Echo."""
        return x

    assert oac.is_agent_tool(tool) and oac.agent_tool_agent(tool) is inner
    assert not oac.is_agent_tool(plain) and oac.agent_tool_agent(plain) is None


def test_agents_handoff_target_is_found():
    target = Agent(name="target")
    h = handoff(target)
    assert oac.handoff_agent(h) is target
    assert oac.handoff_target(h) is target and oac.handoff_target(target) is target


def test_agents_reachable_agents_walks_handoffs_and_agent_tools():
    leaf = Agent(name="leaf")
    tool_agent = Agent(name="tool_agent", handoffs=[leaf])
    start = Agent(name="start", handoffs=[handoff(Agent(name="other"))],
                  tools=[tool_agent.as_tool(tool_name="t", tool_description="d")])
    assert [a.name for a in oac.reachable_agents(start)] == ["start", "other", "tool_agent", "leaf"]


def test_agents_function_tool_fields_the_journal_wraps():
    names = {f.name for f in dataclasses.fields(FunctionTool)}
    assert {oac.TOOL_INVOKE_ATTR, oac.TIMEOUT_ATTR, "timeout_behavior",
            "timeout_error_function"} <= names

    @function_tool
    def plain(x: int) -> int:
        """Echo."""
        return x

    invoke = getattr(plain, oac.TOOL_INVOKE_ATTR)
    assert list(inspect.signature(invoke).parameters)[:2] == ["ctx", "input"]


def test_agents_timeout_helpers_keep_their_signatures():
    from agents import ToolTimeoutError
    from agents.tool import default_tool_timeout_error_message

    err = ToolTimeoutError(tool_name="t", timeout_seconds=1.5)
    assert isinstance(err, Exception)
    message = default_tool_timeout_error_message(tool_name="t", timeout_seconds=1.5)
    assert isinstance(message, str) and "t" in message


def test_agents_tool_state_cache_signatures():
    from agents.agent_tool_state import get_agent_tool_state_scope, peek_agent_tool_run_result

    peek = inspect.signature(peek_agent_tool_run_result).parameters
    assert list(peek)[0] == "tool_call" and "scope_id" in peek
    assert len(inspect.signature(get_agent_tool_state_scope).parameters) == 1

    class Ctx:
        tool_call = None

    assert oac.nested_interrupted(Ctx()) is False


def test_compat_modules_import_nothing_from_agentc():
    # every layer imports agentc.compat, so it must stay a leaf
    import agentc.compat.langgraph
    import agentc.compat.openai_agents

    for mod in (agentc.compat.langgraph, agentc.compat.openai_agents):
        source = inspect.getsource(mod)
        assert "from agentc" not in source and "import agentc" not in source
        assert "from ." not in source, mod.__name__
