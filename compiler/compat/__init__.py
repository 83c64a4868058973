"""The one boundary between agentc and the SDKs' private APIs: one module per SDK.

agentc reproduces what ``graph.invoke`` and ``Runner.run`` do, and a few of the things it
must reproduce have no public accessor (LangGraph's config keys for a nested Pregel run, a
``Command``'s update as writes; the target agent of an OpenAI Agents ``Handoff``, whether a
``FunctionTool`` is an agent used as a tool). Every such symbol is imported or read here and
nowhere else — :mod:`.langgraph` and :mod:`.openai_agents` — so an SDK upgrade that moves one
breaks here, and ``tests/test_sdk_compat.py`` (which imports each and checks its shape) says
which one.

This package imports nothing from agentc, so every layer may use it: the frontends and the
plan (compile time) as well as the runtime shims (run time) — docs/architecture.md.
The SDK modules are imported lazily where the callers imported them lazily before, so
``import agentc`` does not load an SDK it does not use.
"""
