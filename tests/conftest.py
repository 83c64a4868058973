import os
import sys
import warnings
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
warnings.filterwarnings("ignore", message=".*create_react_agent.*")


def pytest_addoption(parser):
    parser.addoption("--update-goldens", action="store_true", default=False,
                     help="rewrite fixtures/langgraph/golden/*.ir.json from the current compiler")


@pytest.fixture
def update_goldens(request):
    return request.config.getoption("--update-goldens")


@pytest.fixture(autouse=True)
def _repo_cwd(monkeypatch):
    # SourceRefs are relative to the working directory: goldens are made from the repo root
    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    monkeypatch.setenv("AGENTC_DB", os.devnull + ".unused")
