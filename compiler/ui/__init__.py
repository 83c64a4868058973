"""The ``agentc ui`` web console (docs/ui.md): ``app.create_app`` and the run diagram."""
