"""An agent's lifecycle hooks fire once per event on every target, as under ``Runner.run``,
although every workflow step replays the run (each drive used to call them again: a
Conductor simulation fired ``on_start`` five times for one start). What a hook changes in
the run context is kept: the agents' instructions read the context back, so the final
output shows the event list the hooks left there. ``noter`` has no hooks: its two parallel
tools append to one context list, and both appends survive (the second tool's list used to
replace the first one's)."""
import asyncio
import inspect

import pytest

import agents_hooks as H

import agentc
from agentc.runtime_shims.openai_agents_replay import HOOK_EVENTS
from agentc.targets.conductor.simulate import Simulation


def test_every_hook_event_of_the_sdk_is_journaled():
    from agents.lifecycle import AgentHooksBase

    names = {n for n, _ in inspect.getmembers(AgentHooksBase, inspect.isfunction) if n.startswith("on_")}
    assert names == set(HOOK_EVENTS)


def native(agent):
    from agents import Runner

    H.FIRED.clear()
    result = asyncio.run(Runner.run(agent, "trip to Oslo", context=H.Log()))
    return result.final_output, list(H.FIRED)


def on_target(target, ref, tmp_path, request):
    from agentc.targets.temporal import engine

    H.FIRED.clear()
    if target == "local":
        out = agentc.run(ref, "trip to Oslo", db=str(tmp_path / "r.db"), context={"events": []})
    elif target == "conductor":
        agentc.compile(ref, target="conductor").write(tmp_path / "c")
        out = Simulation.of(tmp_path / "c").start("trip to Oslo", {"events": []})
    else:
        address = request.getfixturevalue("temporal_address")

        async def go():
            client = await engine.connect(address)
            async with engine.running_worker(client, engine.load(ref, tmp_path / "code")):
                return await asyncio.wait_for(engine.start(ref, address, "trip to Oslo", context={"events": []},
                                                           client=client), 120)

        out = asyncio.run(go())
    assert out.status == "done", out
    return out.output["final_output"], list(H.FIRED)


@pytest.mark.parametrize("target", ["local", "conductor", "temporal"])
@pytest.mark.parametrize("name", ["booker", "desk", "noter"])
def test_hooks_fire_once_per_event(target, name, tmp_path, request):
    final, fired = native(getattr(H, name))
    got_final, got_fired = on_target(target, f"agents_hooks:{name}", tmp_path, request)
    # each event once: the same multiset (parallel tool hooks may interleave differently)
    assert sorted(got_fired) == sorted(fired), (got_fired, fired)
    assert got_final == final  # the context the hooks filled, as the last instructions read it
