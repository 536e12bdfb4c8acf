"""Keeps a local ``mlflow server`` warm between pipelines and stops it once nobody used it for a while.

The Java half (``LocalMLflowServer``) starts this script as the server's root process, feeding it on
standard input (so that it needs nothing installed beyond the interpreter that runs MLflow)::

    python - LEASES_DIR LOCK_FILE STATE_FILE IDLE_SECONDS -- python -m mlflow server …

It runs the server command as its child, in a session of its own (a Ctrl-C or a closed terminal of
the pipeline that started it does not reach the server), and checks the lease directory about twice
a second: each file there is named after the pid of a process that uses the server. Once no live
process has held a lease for IDLE_SECONDS, it takes the lock file (the one Java serialises starting
and releasing with; both use ``fcntl`` record locks), looks again, removes the state file if it
still names this process, and stops the server's process group: SIGTERM, then SIGKILL after 10 s.
SIGTERM to this process stops the server the same way; a server that exits on its own ends it too.

If this interpreter has the MLflow app plugin ``mlpipelines`` (``mlpipelines.mlflow_server_app``:
MLflow's server plus a route that deletes many runs in one request), an ``mlflow server`` command
without ``--app-name`` is run with ``--app-name mlpipelines``; otherwise as given.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

POLL_SECONDS = 0.5
STOP_GRACE_SECONDS = 10.0


APP_PLUGIN = "mlpipelines"


def with_app_plugin(command: list[str]) -> list[str]:
    """``command`` with ``--app-name mlpipelines`` if it runs ``mlflow server`` and the plugin is installed."""
    runs_mlflow_server = any(command[i : i + 2] == ["mlflow", "server"] for i in range(len(command) - 1))
    if not runs_mlflow_server or any(part == "--app-name" or part.startswith("--app-name=") for part in command):
        return command
    try:
        from importlib.metadata import entry_points
        from importlib.util import find_spec

        # The module must be there too: an editable install keeps its entry point when the file is gone.
        installed = any(
            entry.name == APP_PLUGIN and find_spec(entry.value.partition(":")[0]) is not None
            for entry in entry_points(group="mlflow.app")
        )
    except Exception:  # unreadable package metadata: MLflow's own app, as without the plugin
        return command
    return [*command, "--app-name", APP_PLUGIN] if installed else command


def live_leases(leases: Path) -> int:
    """How many lease files name a live process (a file not named by a pid counts as dead)."""
    try:
        names = [entry.name for entry in leases.iterdir()]
    except OSError:
        return 0
    live = 0
    for name in names:
        try:
            os.kill(int(name), 0)
        except (ValueError, ProcessLookupError):
            continue
        except PermissionError:
            pass  # another user's live process
        live += 1
    return live


def stop_group(child: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's process group (the server and its workers), SIGKILL after the grace time."""
    for signum, grace in ((signal.SIGTERM, STOP_GRACE_SECONDS), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(child.pid, signum)
        except ProcessLookupError:
            return
        try:
            child.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
        # The root is gone; its workers may still be shutting down: give the group the rest of the grace.
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            try:
                os.killpg(child.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)


def remove_own_state(state: Path) -> None:
    """Deletes the state file if it records this process (a newer server's file is left alone)."""
    try:
        if json.loads(state.read_text(encoding="utf-8")).get("pid") == os.getpid():
            state.unlink()
    except (OSError, ValueError):
        pass


def idle_and_locked(lock_file: Path, leases: Path, state: Path) -> bool:
    """Under the lock, confirms that no lease appeared and removes the state file; False if busy or in use."""
    try:
        descriptor = os.open(lock_file, os.O_WRONLY | os.O_CREAT, 0o600)
    except OSError:
        return False
    try:
        try:
            fcntl.lockf(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False  # a process is starting or releasing; look again later
        if live_leases(leases) > 0:
            return False
        remove_own_state(state)
        return True
    finally:
        os.close(descriptor)  # releases the lock


def main(argv: list[str]) -> int:
    """Runs the server command until it is idle for the timeout, SIGTERM arrives, or it exits."""
    if len(argv) < 7 or argv[5] != "--":
        print("usage: python - LEASES_DIR LOCK_FILE STATE_FILE IDLE_SECONDS -- COMMAND...", file=sys.stderr)
        return 2
    leases, lock_file, state = Path(argv[1]), Path(argv[2]), Path(argv[3])
    idle_seconds = float(argv[4])
    with contextlib.suppress(OSError):  # already a session leader
        os.setsid()
    stopping = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    child = subprocess.Popen(with_app_plugin(argv[6:]), start_new_session=True)
    idle_since = time.monotonic()
    while not stopping:
        if child.poll() is not None:
            remove_own_state(state)
            return child.returncode
        if live_leases(leases) > 0:
            idle_since = time.monotonic()
        elif time.monotonic() - idle_since >= idle_seconds and idle_and_locked(lock_file, leases, state):
            break
        time.sleep(POLL_SECONDS)
    stop_group(child)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
