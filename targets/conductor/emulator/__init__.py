"""An offline Conductor (conductor-oss) server: validator, simulator, JSONPath, expressions.

No Conductor server can run where agentc is tested, so the Conductor target ships an emulator
of the parts of the server its output depends on. It is general — it validates and runs *any*
WorkflowDef JSON, not only agentc's — and it imports nothing from the compiler (no IR, no
plan), which is why it is a package of its own beside the lowering (``targets/conductor/
lowering.py``, ``agents.py``) instead of part of it. docs/conductor.md says what it checks and
simulates; docs/architecture.md says where a change to it goes.

The modules follow the server's own source layout (conductor-oss ``core/…/execution`` and
``common/…/metadata``), so a behaviour can be compared with the Java it ports:

* :mod:`.simulator` — :class:`~.simulator.Simulator`, the public entry point (start, run,
  complete_task, the ``/workflow/test`` endpoint, save/resume), composed of mixins:
  :mod:`.workflow_ops` (``WorkflowExecutorOps``: start, decide loop, schedule, update,
  terminate), :mod:`.decider` (``DeciderService``), :mod:`.mappers` (``execution/mapper``),
  :mod:`.system_tasks` and :mod:`.do_while` (``execution/tasks``); :mod:`.model` (statuses,
  result types, the per-type ``_Kind`` record), :mod:`.metadata` (WorkflowDef walking),
  :mod:`.utils` (Java conversions, ``DateTimeUtils``).
* :mod:`.validator` — the registration checks and lints (a package: one module per rule
  family, each with its registry tuple, and the runner).
* :mod:`.expressions` — ``ParametersUtils``: ``${…}`` resolution.
* :mod:`.jsonpath` — Jayway JsonPath (a package: compilers, tokens, evaluation).
* :mod:`.js` — the one JavaScript engine (V8 via mini-racer) for scripts.

Nothing is imported here, so importing one part (say the JSONPath port) does not load the
simulator or the JavaScript engine.
"""
