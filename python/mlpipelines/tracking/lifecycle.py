"""Closing open trackers at interpreter exit and on SIGTERM.

A tracker that buffers (MultiBackendTracker, the MLflow and TensorBoard
backends) calls ``register_open`` on first use and ``unregister_open`` when it
is closed. At normal interpreter exit the still-open ones are closed (FAILED if
an uncaught exception ended the program, FINISHED otherwise). On SIGTERM they
are closed with KILLED and then the previous handler runs: a Python handler is
called, the default action is re-raised so the process still dies by SIGTERM
(the Java launcher maps that to KILLED), an ignored signal stays ignored. The
handler is installed only from the main thread (Python allows no other) and
only once.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import sys
import threading
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .base import RunTracker

_LOG = logging.getLogger("mlpipelines.tracking")
_open_trackers: list[RunTracker] = []
_lock = threading.RLock()
_atexit_registered = False
_previous_sigterm_handler: Any = None
_sigterm_installed = False


def register_open(tracker: RunTracker) -> None:
    """Remember ``tracker`` so that exit and SIGTERM close it; install the hooks once."""
    global _atexit_registered
    with _lock:
        if tracker not in _open_trackers:
            _open_trackers.append(tracker)
        if not _atexit_registered:
            atexit.register(_close_at_exit)
            _atexit_registered = True
    _install_sigterm_handler()


def unregister_open(tracker: RunTracker) -> None:
    """Forget ``tracker`` (it was closed)."""
    with _lock:
        if tracker in _open_trackers:
            _open_trackers.remove(tracker)


def close_all(status: str) -> None:
    """Close every open tracker, newest first, with ``status``; a failure is logged, not raised."""
    while True:
        with _lock:
            if not _open_trackers:
                return
            tracker = _open_trackers.pop()
        try:
            tracker.close(status)
        except Exception as error:
            _LOG.error("closing %s failed: %s", type(tracker).__name__, error)


def _close_at_exit() -> None:
    close_all("FAILED" if getattr(sys, "last_value", None) is not None else "FINISHED")


def _install_sigterm_handler() -> None:
    global _previous_sigterm_handler, _sigterm_installed
    if _sigterm_installed or threading.current_thread() is not threading.main_thread():
        return
    with _lock:
        if _sigterm_installed:
            return
        _previous_sigterm_handler = signal.getsignal(signal.SIGTERM)
        signal.signal(signal.SIGTERM, _on_sigterm)
        _sigterm_installed = True


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    previous = _previous_sigterm_handler
    if previous == signal.SIG_IGN:
        for tracker in list(_open_trackers):
            try:
                tracker.flush()
            except Exception as error:
                _LOG.error("flushing %s on SIGTERM failed: %s", type(tracker).__name__, error)
        return
    close_all("KILLED")
    if callable(previous):
        previous(signum, frame)
        return
    # SIG_DFL (or a handler installed outside Python): die by the signal, as without us.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)
