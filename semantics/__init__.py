"""The shared semantics of a LangGraph run (docs/architecture.md, "Layers").

One implementation that the compile-time plan (``agentc.plan``), the frontends and every
run time (``agentc.runtime_shims``, the targets) import: the Pregel frame (``pregel``), the
node call (``langgraph_calls``: the config LangGraph gives a task, its writes, the routers,
the ``Resolver`` of user objects; ``nested_graphs``, ``effects``, ``cancel_scope``) and the
value codec a frame travels in (``codec``, ``claim_check``, ``blobs``, ``channel_chains``,
``list_prefix``). It is a leaf: of agentc it imports only ``agentc.ir``, ``agentc.compat``
and ``agentc.errors`` (import-linter contracts in pyproject.toml).
"""
