"""Package discovery for the folder layout of the design card.

The top-level folders map into one import package, ``agentc``: ``compiler/`` is its root
(IR, frontends, passes, plan, API, CLI) and ``targets/``, ``runtime_shims/``,
``semantics/`` and ``fixtures/`` are subpackages. pyproject.toml cannot discover packages
under such a mapping, and a hand-kept list once missed ``agentc.frontends.openai_agents`` (every
command failed from a wheel), so the list is computed here: every folder with an
``__init__.py`` under a mapped root is a package. Everything else lives in pyproject.toml.
"""
from setuptools import find_packages, setup

ROOTS = {"agentc": "compiler", "agentc.targets": "targets", "agentc.runtime_shims": "runtime_shims",
         "agentc.semantics": "semantics",
         "agentc.fixtures": "fixtures"}


def packages() -> list[str]:
    found = []
    for name, folder in ROOTS.items():
        found.append(name)
        found += [f"{name}.{sub}" for sub in find_packages(folder)]
    return sorted(set(found))


setup(package_dir=ROOTS, packages=packages())
