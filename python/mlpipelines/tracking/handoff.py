"""The Python half of backends whose service has no Java API (WANDB, COMET, DVCLIVE).

The route, in both languages: the Java half (``HandoffTracker.java``) claims the run
directory ``<dir>/run_<N>/``, chooses the run's identity (a run id, the project, the
mode) and hands everything Java logs to this half through files in that directory:
``params.yaml``, ``tags.yaml``, ``java-metrics.csv`` and ``artifacts/``. This half
opens the vendor's run with that identity and logs those files into it first, so
that Java's params, tags and artifacts land in the same run as the metrics. It
writes ``location.yaml`` back (the run's URL or id, its files, the command that
uploads an offline run), which the Java half reports in the summary.

The mode: ``auto`` is online exactly when the backend's credential variable is set
in the environment (``resolve_mode``, the same rule as Java's ``ServiceMode``);
credentials are never options. Offline, the backend says so in one line on stderr.

``VendorTracker`` runs the vendor's SDK in a thread of its own: the training thread
only appends to an in-memory queue; the thread imports the vendor's module (seconds
for W&B and Comet), opens the run, logs Java's hand-off, then the queue. A script that
ends without closing is closed at exit, before the vendor's own exit hooks run (W&B's
end its service process).
``flush()`` and ``close()`` wait for it while it makes progress, and at most
``stall_seconds`` without progress: then it is given up, reported once, and what it
had not logged is counted as dropped. A vendor call that raises is reported once and
its values are counted as dropped; the backend goes on.
"""

from __future__ import annotations

import atexit
import collections
import csv
import logging
import os
import sys
import threading
import time
from abc import abstractmethod
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar

from . import lifecycle
from .base import DeliveryReport, RunTracker, end_status, now_millis
from .errors import TrackingError
from .journal import JournalCursor
from .rundirs import (
    claim_run_directory,
    existing_run_directory,
    merge_yaml_mapping,
    read_yaml_mapping,
    write_yaml_atomically,
)

_LOG = logging.getLogger("mlpipelines.tracking")

MODES = ("auto", "offline", "online")
RUN_FILE = "run.yaml"
PARAMS_FILE = "params.yaml"
TAGS_FILE = "tags.yaml"
METRICS_FILE = "java-metrics.csv"
ARTIFACTS_DIRECTORY = "artifacts"
LOCATION_FILE = "location.yaml"
_WAKE_EVERY = 1000
_MERGE_LIMIT = 1000


def resolve_mode(backend: str, configured: str, credential_variable: str, environ: Mapping[str, str]) -> str:
    """The mode a run uses: ``auto`` is online when ``credential_variable`` is set (not blank), else offline.

    Raises:
        TrackingError: ``configured`` is not auto, offline or online, or it is online without the
            credential variable.
    """
    mode = configured.strip().lower()
    present = bool(environ.get(credential_variable, "").strip())
    if mode == "auto":
        return "online" if present else "offline"
    if mode == "offline":
        return mode
    if mode == "online":
        if not present:
            raise TrackingError(
                f"{backend}: mode online needs {credential_variable} in the environment "
                f"(credentials are taken from the environment only)"
            )
        return mode
    raise TrackingError(f"{backend}: mode {configured!r} is not a mode; expected one of {', '.join(MODES)}")


class JavaHandoff:
    """What the Java half left in a run directory for this half to log (all empty for a run of our own)."""

    def __init__(self, run_directory: str) -> None:
        self.run_directory = run_directory

    def params(self) -> dict[str, str]:
        """Java's params (``params.yaml``)."""
        return {str(k): str(v) for k, v in read_yaml_mapping(os.path.join(self.run_directory, PARAMS_FILE)).items()}

    def tags(self) -> dict[str, str]:
        """Java's tags (``tags.yaml``)."""
        return {str(k): str(v) for k, v in read_yaml_mapping(os.path.join(self.run_directory, TAGS_FILE)).items()}

    def metrics(self) -> Iterator[tuple[dict[str, float], int, int]]:
        """Java's metrics (``java-metrics.csv``), one (metrics, timestamp, step) per row."""
        path = os.path.join(self.run_directory, METRICS_FILE)
        if not os.path.exists(path):
            return
        with open(path, encoding="utf-8", newline="") as source:
            for row in csv.DictReader(source):
                yield {row["key"]: float(row["value"])}, int(row["timestamp"]), int(row["step"])

    def artifacts(self) -> Iterator[tuple[str, str | None]]:
        """Java's artifacts as (file, artifact directory or None), every file below ``artifacts/``."""
        root = os.path.join(self.run_directory, ARTIFACTS_DIRECTORY)
        for directory, _, files in sorted(os.walk(root)):
            relative = os.path.relpath(directory, root)
            for name in sorted(files):
                yield os.path.join(directory, name), None if relative == "." else relative.replace(os.sep, "/")


class _Marker:
    __slots__ = ("closing", "done", "status")

    def __init__(self, closing: bool, status: str = "FINISHED") -> None:
        self.done = threading.Event()
        self.closing = closing
        self.status = status


class VendorTracker(RunTracker):
    """Base of the backends whose vendor SDK logs from a thread of ours (see the module doc).

    A subclass sets ``backend`` (its name), ``vendor_module`` (imported on first use, and
    named with its pip requirement when missing), ``credential_variable``, and
    ``delivered_on_write`` (True: a value is in the store when the vendor's log call
    returns, as DVCLive's files are; False: only when the vendor's run is ended, as W&B's
    transaction log and Comet's archive are, so a killed script's recovery logs every
    value again into a new run of the same id). It implements the ``_vendor_*`` hooks,
    which run on the backend's thread.

    Args:
        options: the backend's options dataclass; its fields ``<prefix>dir``,
            ``<prefix>run_name`` and ``<prefix>mode`` are read here.
        stall_seconds: how long ``flush()``, ``close()`` and a full queue wait for a
            thread that logs nothing before giving it up.
        max_queued: queue bound in items; a full queue makes the training thread wait.
        environ: the environment the mode is resolved from (default ``os.environ``).
    """

    backend: ClassVar[str] = ""
    vendor_module: ClassVar[str] = ""
    credential_variable: ClassVar[str] = ""
    delivered_on_write: ClassVar[bool] = False
    delivers_in_background = True

    def __init__(
        self,
        options: Any,
        *,
        stall_seconds: float = 60.0,
        max_queued: int = 100_000,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        from .requirements import require_library

        # A missing library fails this backend alone, loudly and once, at first use; the others run.
        self._missing_library: TrackingError | None = None
        try:
            require_library(self.backend, self.vendor_module)
        except TrackingError as error:
            self._missing_library = error
        self.options = options
        self.stall_seconds = stall_seconds
        self.max_queued = max_queued
        self._environ = os.environ if environ is None else environ
        prefix = self.backend.lower() + "_"
        self._parent: str = getattr(options, prefix + "dir")
        self._run_name: str | None = getattr(options, prefix + "run_name")
        self._configured_mode: str = getattr(options, prefix + "mode")
        self.owns_run = self._run_name is None
        self.run_directory: str | None = None
        self.mode: str | None = None
        self.location: dict[str, str] = {}
        self._queue: collections.deque[Any] = collections.deque()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._count_lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._closed = False
        self._given_up = False
        self._progress = 0
        self._offered = self.sent = self.dropped = 0
        # Sent but not yet confirmed durable (for vendors whose store is complete only at the run's end).
        self._unconfirmed = 0
        self._notes: list[str] = []
        self._reported: set[str] = set()
        self._journal_cursor: JournalCursor | None = None
        self._start_time: int | None = None

    def _prepare_import(self, mode: str) -> None:
        """Set what the vendor reads when it is imported (called on the training thread, before the import)."""

    # The hooks of a vendor, called on the backend's thread.

    @abstractmethod
    def _vendor_open(self, run_directory: str, run_name: str, mode: str) -> dict[str, str]:
        """Open the vendor's run (its files inside ``run_directory``); return ``location.yaml``'s
        entries: ``run`` (URL or id), ``files``, and ``sync`` (the upload command) when offline."""

    @abstractmethod
    def _vendor_metrics(self, metrics: Mapping[str, float], timestamp: int, step: int) -> None:
        """Log one call's metrics."""

    @abstractmethod
    def _vendor_params(self, params: dict[str, str]) -> None:
        """Log params."""

    @abstractmethod
    def _vendor_tags(self, tags: dict[str, str]) -> None:
        """Log tags."""

    @abstractmethod
    def _vendor_artifact(self, path: str, artifact_path: str | None) -> None:
        """Log a file or directory."""

    @abstractmethod
    def _vendor_close(self, status: str) -> None:
        """End the vendor's run with ``status`` and release what it holds (a service process) in bounded time."""

    # RunTracker.

    def attach_journal_cursor(self, cursor: JournalCursor) -> None:
        self._journal_cursor = cursor

    def _finished(self, values: int) -> None:
        if self._journal_cursor is not None and values:
            self._journal_cursor.advance(values)

    def _start(self) -> None:
        with self._lock:
            if self._closed:
                raise TrackingError(f"the {self.backend} tracker is closed")
            if self._worker is not None:
                return
            mode = resolve_mode(self.backend, self._configured_mode, self.credential_variable, self._environ)
            self._prepare_import(mode)
            # The vendors import concurrent.futures, whose import registers an exit hook that Python refuses
            # once the main thread has ended: done here, a script that ends right after its first log call
            # still gets its values logged at exit.
            import concurrent.futures.thread  # noqa: F401

            parent = os.path.abspath(self._parent)
            option = self.backend.lower() + "_run_name"
            if self._run_name is None:
                self.run_directory = claim_run_directory(parent)
                self._start_time = now_millis()
                self._write_run_file("RUNNING", None)
            else:
                self.run_directory = existing_run_directory(parent, self._run_name, option)
            self.mode = mode
            if mode == "offline":
                print(
                    f"mlpipelines.tracking: {self.backend}: offline ({self.credential_variable} is not set); "
                    f"the run's files go to {self.run_directory}",
                    file=sys.stderr,
                    flush=True,
                )
            worker = threading.Thread(target=self._work, name=f"mlpipelines-{self.backend.lower()}", daemon=True)
            self._worker = worker
            worker.start()
            lifecycle.register_open(self)

    def _accepting(self) -> bool:
        if self._given_up and not self._closed:
            return False
        if self._missing_library is not None and not self._closed:
            self._given_up = True
            self._report("setup", f"{self._missing_library}; nothing is logged to {self.backend}")
            return False
        self._start()  # raises once closed
        return True

    def _append(self, item: object, values: int = 0) -> None:
        if (self._worker is None or self._closed or self._given_up) and not self._accepting():
            if values:
                with self._count_lock:
                    self._offered += values
                    self.dropped += values
                self._finished(values)
            return
        self._offered += values
        queue = self._queue
        queue.append(item)
        if len(queue) % _WAKE_EVERY == 0:
            self._wake.set()
            if len(queue) >= self.max_queued:
                self._wait(lambda: len(self._queue) < self.max_queued, "its queue was full")

    def write_metric(self, key: str, value: float, timestamp: int, step: int) -> None:
        self._append(({key: value}, timestamp, step), 1)

    def write_metrics(self, metrics: Mapping[str, float], timestamp: int, step: int) -> None:
        self._append((dict(metrics), timestamp, step), len(metrics))

    def write_params(self, params: dict[str, str]) -> None:
        self._append(("params", dict(params)))
        self._keep(PARAMS_FILE, params)

    def write_tags(self, tags: dict[str, str]) -> None:
        self._append(("tags", dict(tags)))
        self._keep(TAGS_FILE, tags)

    def _keep(self, file: str, entries: dict[str, str]) -> None:
        """Merge ``entries`` into the run directory's hand-off ``file`` too, so that a recovery after a kill,
        which opens the vendor's run anew and logs the hand-off first, logs them again (the journal holds
        only metrics)."""
        if self.owns_run or self.run_directory is None:
            return
        try:
            merge_yaml_mapping(os.path.join(self.run_directory, file), entries)
        except TrackingError as error:
            self._report(file, str(error))

    def write_artifact(self, path: str, artifact_path: str | None) -> None:
        self._append(("artifact", path, artifact_path))

    def _wait(self, done: Callable[[], bool], waiting_for: str) -> bool:
        """Wait until ``done()`` while the thread makes progress; give it up when it died or stalled."""
        worker = self._worker
        progress, since = self._progress, time.monotonic()
        while not done():
            if self._given_up:
                return False
            if worker is None or not worker.is_alive():
                self._give_up(f"the {self.backend} thread died while {waiting_for}")
                return False
            if self._progress != progress:
                progress, since = self._progress, time.monotonic()
            elif time.monotonic() - since > self.stall_seconds:
                stalled = f"logged nothing for {self.stall_seconds:g} s while {waiting_for}"
                self._give_up(f"the {self.backend} thread {stalled}")
                return False
            self._wake.set()
            time.sleep(0.02)
        return True

    def flush(self) -> None:
        """Wait until the vendor's SDK was given everything logged so far (while it makes progress)."""
        if self._worker is not None and not self._closed and not self._given_up:
            marker = _Marker(closing=False)
            self._queue.append(marker)
            self._wait(marker.done.is_set, "flushing")

    def close(self, status: str = "FINISHED") -> None:
        """Log everything, end the vendor's run (and the run directory's ``run.yaml`` if this half owns it)."""
        status = end_status(status)
        with self._lock:
            if self._closed:
                return
            self._closed = True
        worker = self._worker
        if worker is not None and not self._given_up:
            marker = _Marker(closing=True, status=status)
            self._queue.append(marker)
            if self._wait(marker.done.is_set, "closing"):
                worker.join(self.stall_seconds)
        if self.owns_run and self.run_directory is not None:
            try:
                self._write_run_file(status, now_millis())
            except TrackingError as error:
                self._note(f"run.yaml not ended as {status}: {error}")
        lifecycle.unregister_open(self)

    def _close_at_exit(self) -> None:
        self.close("FAILED" if getattr(sys, "last_value", None) is not None else "FINISHED")

    def delivery_report(self) -> DeliveryReport:
        with self._count_lock:
            sent, dropped = self.sent, self.dropped
        notes = list(self._notes)
        if self.location.get("sync"):
            notes.append(f"upload with: {self.location['sync']}")
        location = self.location.get("files", self.run_directory or "")
        return DeliveryReport(sent=sent, dropped=dropped, location=location, note="; ".join(notes))

    # The backend's thread.

    def _work(self) -> None:
        try:
            assert self.run_directory is not None and self.mode is not None  # set by _start
            run_name = os.path.basename(self.run_directory)
            __import__(self.vendor_module)  # seconds for W&B and Comet: never on the training thread
            self.location = self._vendor_open(self.run_directory, run_name, self.mode)
            # Exit hooks run last registered first: this one ends the run (logging what is queued) before the
            # hooks the vendor registered while opening it (W&B's tears its service process down).
            atexit.register(self._close_at_exit)
            self._write_location()
            self._log_handoff()
            while True:
                self._wake.wait(0.5)
                self._wake.clear()
                if self._drain():
                    return
        except BaseException as error:  # the waits notice that the thread is gone
            self._give_up(f"the {self.backend} thread failed: {type(error).__name__}: {error}")

    def _log_handoff(self) -> None:
        if self.owns_run:
            return
        assert self.run_directory is not None
        handoff = JavaHandoff(self.run_directory)
        self._call("params from Java", 0, self._vendor_params, handoff.params())
        self._call("tags from Java", 0, self._vendor_tags, handoff.tags())
        for metrics, timestamp, step in handoff.metrics():
            self._call("metrics from Java", 0, self._vendor_metrics, metrics, timestamp, step)
        for path, artifact_path in handoff.artifacts():
            self._call("artifacts from Java", 0, self._vendor_artifact, path, artifact_path)

    def _drain(self) -> bool:
        """Log what is queued; True once the closing marker was handled."""
        queue = self._queue
        while queue and not self._given_up:
            item = queue.popleft()
            if isinstance(item, _Marker):
                if item.closing:
                    self._call("closing", 0, self._vendor_close, item.status)
                    self._confirm()
                    self._progress += 1
                    item.done.set()
                    return True
                item.done.set()
                continue
            kind = item[0]
            if kind == "params":
                self._call("params", 0, self._vendor_params, item[1])
            elif kind == "tags":
                self._call("tags", 0, self._vendor_tags, item[1])
            elif kind == "artifact":
                self._call("artifact", 0, self._vendor_artifact, item[1], item[2])
            else:
                metrics, timestamp, step = item
                # Calls of one step and time (one value per log_metric call) become one vendor call: W&B
                # and Comet then keep one row per step, and each of their calls costs about a millisecond.
                while queue and len(metrics) < _MERGE_LIMIT:
                    following = queue[0]
                    if type(following) is not tuple or type(following[0]) is not dict:
                        break
                    if following[1:] != (timestamp, step) or not following[0].keys().isdisjoint(metrics):
                        break
                    queue.popleft()
                    metrics.update(following[0])
                self._call("metrics", len(metrics), self._vendor_metrics, metrics, timestamp, step)
            self._progress += 1
        return self._given_up

    def _call(self, what: str, values: int, call: Callable[..., object], *args: Any) -> None:
        """Run a vendor call; count its ``values`` as sent, or as dropped (reported once per ``what``) if it raised."""
        try:
            call(*args)
        except Exception as error:
            with self._count_lock:
                if not self._given_up:
                    self.dropped += values
                    self._finished(values)
            self._report(what, f"{type(error).__name__}: {error}")
            return
        if not values:
            return
        with self._count_lock:
            if self._given_up:
                return
            self.sent += values
            if self.delivered_on_write:
                self._finished(values)
            else:
                self._unconfirmed += values

    def _confirm(self) -> None:
        """The vendor's run is ended: every value sent is in its store now."""
        with self._count_lock:
            confirmed, self._unconfirmed = self._unconfirmed, 0
        self._finished(confirmed)

    def _give_up(self, reason: str) -> None:
        with self._count_lock:
            if self._given_up:
                return
            self._given_up = True
            self._queue.clear()
            unlogged = self._offered - self.sent - self.dropped
            self.dropped += unlogged
        # Values sent but unconfirmed stay unconfirmed: a recovery after a kill delivers them again.
        self._finished(unlogged)
        self._report("logging", f"{reason}; {unlogged} values not logged are dropped, and so are later ones")

    def _report(self, what: str, message: str) -> None:
        if what in self._reported:
            return
        self._reported.add(what)
        self._note(f"{what}: {message}")
        _LOG.error(
            "%s: %s failed: %s (further failures are counted in the closing message)", self.backend, what, message
        )

    def _note(self, note: str) -> None:
        self._notes.append(note)

    def _write_location(self) -> None:
        assert self.run_directory is not None
        try:
            write_yaml_atomically(os.path.join(self.run_directory, LOCATION_FILE), self.location)
        except TrackingError as error:
            self._report("location.yaml", str(error))

    def _write_run_file(self, status: str, end_time: int | None) -> None:
        assert self.run_directory is not None
        run_file = os.path.join(self.run_directory, RUN_FILE)
        try:
            run = read_yaml_mapping(run_file)
        except TrackingError:
            run = {}  # torn by an earlier failure: this write repairs it
        run.setdefault("name", os.path.basename(self.run_directory))
        run.setdefault("backend", self.backend)
        run.setdefault("start_time", self._start_time)
        run.update(status=status, end_time=end_time)
        write_yaml_atomically(run_file, run)
