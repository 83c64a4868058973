"""Subprocess driver for the agent-run crash test: run (or resume) a case and SIGKILL
this process right after the k-th journal commit; report the steps this process really
executed (not replayed) to a file, so the test can check none ran twice."""
import json
import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import openai_agents_oracle as O  # noqa: E402

import agentc  # noqa: E402
from agentc.fixtures.openai_agents.fake_model import recording  # noqa: E402


def main() -> None:
    mode, name, db, kill_after, report = sys.argv[1:6]
    case = O.load_cases()[name]
    kill_after = int(kill_after)
    executed: list[str] = []

    def on_event(kind: str, info: dict) -> None:
        if kind == "step":
            executed.append(info["key"])
            Path(report).write_text(json.dumps(executed))
            if kill_after and len(executed) >= kill_after:
                os.kill(os.getpid(), signal.SIGKILL)

    with recording() as log:
        try:
            if mode == "start":
                out = agentc.run(case["ref"], case["input"], db=db, context=O.make_context(case),
                                 recursion_limit=case.get("max_turns"), on_event=on_event, run_id="crash")
            else:
                out = agentc.resume("crash", db=db, on_event=on_event)
            while out.status == "waiting":
                value = O.approval_value(case, out.interrupts)
                out = agentc.resume("crash", value, db=db, on_event=on_event)
            result = {"status": "done", "output": out.output}
        except agentc.errors.AgentcError as e:
            result = {"status": "failed", "code": e.diagnostic.code.value}
    Path(report).write_text(json.dumps(executed))
    print(json.dumps({"result": result, "model_calls": [c["digest"] for c in log.calls]}))


if __name__ == "__main__":
    main()
