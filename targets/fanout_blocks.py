"""Which supersteps of a graph run under a fan-out policy on the engines (docs/policies.md
"Fan-outs"), decided at compile time from the IR's policies:

* ``Send`` packets: the step that sends them attaches the policy to the fan-out's spec and
  its packets (``policy_gate.fanout_spec``; Temporal's workflow side
  ``runtime_shims/temporal_fanout.py``, Conductor's worker side ``targets/conductor/fanout.py``);
* parallel branches (several nodes of one superstep of the root graph, no packets):
  Temporal's generated code runs them with ``self.branches(FAN, STEPS)``
  (``runtime_shims/temporal_branch_fanout.py``) instead of ``asyncio.gather``; Conductor's
  lowering puts the policy into each branch task's input (``targets/conductor/fanout.py``).

A superstep that mixes parallel branches and ``Send`` packets under a policy of one of
its branch nodes is refused (AC200): its packets and its branches would need one scope
across two kinds of fan-out, which is not built.
"""

from __future__ import annotations

from typing import Any

from agentc.errors import AgentcError, Code


def _active(wf: Any) -> list[Any]:
    policies = getattr(wf, "policies", None)
    return [
        f for f in (policies.fanouts if policies else ()) if f.mode == "fail_fast" or f.deadline
    ]


def branch_fan(wf: Any, level: Any, block: Any) -> dict[str, Any] | None:
    """The policy (JSON) of a root-graph superstep of parallel branches (None: none) —
    as the local executor, the first policy naming one of the step's nodes."""
    if level.path or block.push or len(block.pull) < 2:
        return None
    f = next((f for f in _active(wf) if f.name in block.pull), None)
    return None if f is None else {"node": f.name, "mode": f.mode, "deadline": f.deadline}


def refuse_mixed(wf: Any, target: str) -> None:
    """AC200 for a policy on a branch node of a superstep that also sends packets."""
    from agentc.plan.layout import layout

    level = layout(wf).levels[()]
    for f in _active(wf):
        for b in level.schedule.blocks:
            if b.push and f.name in b.pull:
                raise AgentcError(
                    Code.UNSUPPORTED,
                    f"the {target} target does not enforce a fan-out policy on "
                    f"node {f.name!r} in a superstep that also runs Send packets "
                    f"({', '.join(b.push)})",
                    construct=f"policies.fanouts.{f.name}",
                    source=f.source,
                    hint="put the policy on the Send target, run it on the local target, or "
                    "remove the fan-out policy",
                )
