"""A real ``mlflow server`` for tests: 127.0.0.1, a free port, a temporary SQLite store.

Any test suite can use it::

    from mlflow_server import MlflowServer

    with MlflowServer(tmp_path) as server:
        client = mlflow.MlflowClient(server.url)

The server runs in its own process group and is stopped through the PID of the
process this module started (never by name), so parallel sessions on the same
machine do not disturb each other. ``stop()`` and ``start()`` may be called
again on the same instance: the store and the port survive a restart, which is
what an outage test needs.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

STARTUP_TIMEOUT_SECONDS = 120


def free_port():
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MlflowServer:
    """One ``mlflow server`` process with a SQLite store under ``directory``.

    Args:
        directory: where the store (``mlflow.db``), the artifacts and the
            server log are kept; created if missing.
        python: the interpreter that runs ``-m mlflow server`` (default: the
            current one).

    Attributes:
        url: ``http://127.0.0.1:PORT`` once started.
        store_uri: the ``sqlite:///`` URI of the backend store.
        log_path: the server's combined stdout/stderr, for failure messages.
    """

    def __init__(self, directory, python=sys.executable):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.python = python
        self.store_uri = f"sqlite:///{self.directory / 'mlflow.db'}"
        self.log_path = self.directory / "server.log"
        self.port = None
        self.url = None
        self._process = None

    def start(self):
        """Start the server and wait until it answers; return self.

        Raises:
            RuntimeError: the server exited or did not answer within
                STARTUP_TIMEOUT_SECONDS; the message holds the end of its log.
        """
        if self._process is not None:
            return self
        if self.port is None:
            self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [
            self.python,
            "-m",
            "mlflow",
            "server",
            "--backend-store-uri",
            self.store_uri,
            # Artifacts through the server's proxy (mlflow-artifacts:/), as the Java half requires.
            "--artifacts-destination",
            (self.directory / "artifacts").as_uri(),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            "1",
        ]
        environment = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
        with open(self.log_path, "ab") as log:
            self._process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                cwd=self.directory,
                env=environment,
            )
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._process = None
                raise RuntimeError(f"mlflow server exited during start-up:\n{self._log_tail()}")
            if self._answers():
                return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"mlflow server did not answer within {STARTUP_TIMEOUT_SECONDS} s:\n{self._log_tail()}")

    def stop(self):
        """Stop the server (its whole process group, found by our PID) and wait for it."""
        process, self._process = self._process, None
        if process is None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        self._wait_until_port_closed()

    def _answers(self):
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def _wait_until_port_closed(self):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) != 0:
                    return
            time.sleep(0.1)

    def _log_tail(self, lines=40):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
