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

One log call reaches every backend or none: a SIGTERM or SIGINT that arrives
while ``MultiBackendTracker`` fans a call out (``FAN_OUT.active``) is not handled
there; the handler records it and the fan-out runs it right after its loop
(``FAN_OUT.run_deferred``). That costs two attribute stores per call, no system
call. SIGINT is taken over only while Python's default handler (which raises
KeyboardInterrupt) is installed; the deferred SIGINT then raises it after the loop.
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
_previous_handlers: dict[int, Any] = {}
_sigterm_installed = False


class FanOutGuard:
    """Marks a fan-out in progress so that a signal handler waits for its end.

    Attributes:
        active: True while a fan-out loop runs (set and cleared by ``MultiBackendTracker``).
        deferred: the (signum, frame) of a signal that arrived meanwhile, else None.
    """

    __slots__ = ("active", "deferred")

    def __init__(self) -> None:
        self.active = False
        self.deferred: tuple[int, FrameType | None] | None = None

    def run_deferred(self) -> None:
        """Handle the signal that arrived during the fan-out (called right after the loop)."""
        pending, self.deferred = self.deferred, None
        if pending is not None:
            _handle_signal(*pending)


FAN_OUT = FanOutGuard()


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


def prepare_background_import() -> None:
    """Import, on the calling (training) thread, what a later import on the delivery thread needs.

    An import that starts after the interpreter began to shut down fails when it registers a
    thread exit hook (``concurrent.futures``, which mlflow and requests' dependencies import):
    Python refuses those once shutdown has begun. Importing that one small module here (a few
    ms, once) lets the delivery thread import mlflow or requests at any time.
    """
    import concurrent.futures.thread  # noqa: F401


def _close_at_exit() -> None:
    close_all("FAILED" if getattr(sys, "last_value", None) is not None else "FINISHED")


def _install_sigterm_handler() -> None:
    global _sigterm_installed
    if _sigterm_installed or threading.current_thread() is not threading.main_thread():
        return
    with _lock:
        if _sigterm_installed:
            return
        _previous_handlers[signal.SIGTERM] = signal.getsignal(signal.SIGTERM)
        signal.signal(signal.SIGTERM, _on_signal)
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            _previous_handlers[signal.SIGINT] = signal.default_int_handler
            signal.signal(signal.SIGINT, _on_signal)
        _sigterm_installed = True


def _on_signal(signum: int, frame: FrameType | None) -> None:
    if FAN_OUT.active:
        # Inside a fan-out: the loop finishes first, then runs this (see the module doc).
        FAN_OUT.deferred = (signum, frame)
        return
    _handle_signal(signum, frame)


def _handle_signal(signum: int, frame: FrameType | None) -> None:
    previous = _previous_handlers.get(signum)
    if signum == signal.SIGINT:
        signal.default_int_handler(signum, frame)  # raises KeyboardInterrupt
        return
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
