"""The MLFLOW backend's delivery engine: queue, background thread, batching, retry and spool.

The training thread only appends to an in-memory queue (a deque); the first item
starts the thread, which imports what it needs, connects and creates an own run, so
no item blocks on an import or on I/O. One daemon thread
drains the queue and sends ``log_batch`` requests of up to 1000 metrics. The
queue is bounded (``max_queued``): when it is full, the training thread waits for
room (back-pressure) instead of growing memory without limit. ``flush()`` and
``close()`` deliver what is queued.

Failures:

* transient (server unreachable, timeout, HTTP 429/5xx): retried with bounded
  exponential backoff (``RetryPolicy``); what still fails is appended to a JSONL
  spool (see ``spool.py``) and the engine enters outage mode. While anything waits
  in the spool, new data is appended behind it (so everything arrives in order), and
  the thread probes the store by sending the oldest spooled entry, with pauses that
  grow from ``probe_seconds / 8`` to ``probe_seconds`` (1 s). Once the store answers,
  the spool is delivered from the file in order, each entry marked in the spool's
  progress file as ``replay`` does, so a later manual replay sends nothing twice.
  What is still spooled at close stays for ``python -m mlpipelines.tracking.replay``.
* permanent (HTTP 4xx, a missing artifact file): not an outage. A batch the store
  rejects as INVALID_PARAMETER_VALUE is split in halves until only the offending
  items fail; each is reported once and counted as dropped, everything else lands.
  Another permanent error drops that one request (reported, counted); the rest
  keeps flowing.

Keys, steps and values arrive validated and repaired by ``base`` (MLflow's rules);
±Inf is sent as is and MLflow stores ±1.7976931348623157e308, with one warning per key.
"""

from __future__ import annotations

import collections
import logging
import math
import os
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import lifecycle
from .base import now_millis
from .errors import TrackingError
from .spool import SpoolWriter

if TYPE_CHECKING:
    from .base import RunTracker
    from .journal import JournalCursor
    from .mlflow_transport import ClientTransport, RestTransport

    Transport = RestTransport | ClientTransport
    MetricEntry = tuple[str, float, int, int]
    # Called with (what was rejected, the store's answer) for each item a store rejects.
    RejectionHandler = Callable[[str, Exception], None]

MAX_METRICS_PER_BATCH = 1000
MAX_PARAMS_PER_BATCH = 100

_LOG = logging.getLogger("mlpipelines.tracking")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard the backend tries before spooling.

    Attributes:
        attempts: tries per request while the store is healthy (>= 1).
        first_backoff_seconds: pause after the first failure; doubled each retry.
        max_backoff_seconds: upper bound of one pause.
        probe_seconds: in outage mode, the longest pause between single probe requests;
            the pauses start at an eighth of it and double.
        timeout_seconds: per HTTP request.
    """

    attempts: int = 4
    first_backoff_seconds: float = 0.5
    max_backoff_seconds: float = 4.0
    probe_seconds: float = 1.0
    timeout_seconds: float = 15.0

    def backoff(self, retry_number: int) -> float:
        """The pause before retry ``retry_number`` (0-based)."""
        return min(self.max_backoff_seconds, self.first_backoff_seconds * 2.0**retry_number)

    def probe_pause(self, probe_number: int) -> float:
        """The pause before probe ``probe_number`` (0-based) of an outage."""
        return min(self.probe_seconds, self.probe_seconds / 8 * 2.0**probe_number)


DEFAULT_RETRY = RetryPolicy()


@dataclass(frozen=True)
class RunTarget:
    """Where the engine delivers: the store and the run (existing, or to create in an experiment).

    Attributes:
        tracking_uri: the MLflow tracking URI (may hold credentials; never written to the spool).
        run_id: an existing run to log into, or None to create one on first delivery.
        experiment_id: the experiment of a run to create (None: look up ``experiment_name``).
        experiment_name: the experiment of a run to create, created if missing.
        owns_run: True when the engine created the run and ends it on close.
    """

    tracking_uri: str
    run_id: str | None
    experiment_id: str | None
    experiment_name: str
    owns_run: bool


class _Flush:
    __slots__ = ("done",)

    def __init__(self) -> None:
        self.done = threading.Event()


class _Close:
    __slots__ = ("status",)

    def __init__(self, status: str) -> None:
        self.status = status


class _Entries:
    __slots__ = ("kind", "values")

    def __init__(self, kind: str, values: dict[str, str]) -> None:
        self.kind = kind
        self.values = values


class _Artifact:
    __slots__ = ("artifact_path", "path")

    def __init__(self, path: str, artifact_path: str | None) -> None:
        self.path = path
        self.artifact_path = artifact_path


def without_credentials(uri: str) -> str:
    """``uri`` without a user name and password in its network location."""
    parts = urllib.parse.urlsplit(uri)
    if parts.username is None and parts.password is None:
        return uri
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return urllib.parse.urlunsplit(parts._replace(netloc=host))


def deliver_entry(transport: Transport, run_id: str, entry: dict[str, Any], on_rejected: RejectionHandler) -> int:
    """Send one entry in spool form (see ``spool.py``) into run ``run_id``; return the items rejected.

    A ``log_batch`` the store rejects as INVALID_PARAMETER_VALUE is split in halves until
    only the offending items fail; ``on_rejected`` is called once for each of them and
    everything else is delivered.

    Raises:
        DeliveryError: a transient failure (nothing of it may be counted as delivered), or a
            permanent one for the whole entry (an artifact that is missing or refused, an
            unknown run).
    """
    from .mlflow_transport import DeliveryError

    if "end_run" in entry:
        transport.end_run(run_id, entry["end_run"], entry["end_time"])
        return 0
    if "artifact" in entry:
        if not os.path.exists(entry["artifact"]):
            raise DeliveryError(f"artifact {entry['artifact']} no longer exists", transient=False)
        transport.log_artifact(run_id, entry["artifact"], entry.get("artifact_path"))
        return 0
    items: list[tuple[str, Any]] = [("metric", tuple(metric)) for metric in entry.get("metrics") or ()]
    items += [("param", pair) for pair in (entry.get("params") or {}).items()]
    items += [("tag", pair) for pair in (entry.get("tags") or {}).items()]

    def send(part: list[tuple[str, Any]]) -> int:
        try:
            transport.log_batch(
                run_id,
                [item for kind, item in part if kind == "metric"],
                dict(item for kind, item in part if kind == "param"),
                dict(item for kind, item in part if kind == "tag"),
            )
            return 0
        except DeliveryError as error:
            if error.transient or error.error_code != "INVALID_PARAMETER_VALUE":
                raise
            if len(part) == 1:
                on_rejected(_describe(*part[0]), error)
                return 1
            middle = len(part) // 2
            return send(part[:middle]) + send(part[middle:])

    return send(items) if items else 0


def _describe(kind: str, item: Any) -> str:
    if kind == "metric":
        key, value, _, step = item
        return f"metric {key!r} = {value!r} at step {step}"
    return f"{kind} {item[0]!r}"


class MLflowDelivery:
    """Delivers queued metrics, params, tags, artifacts and the run's end to one MLflow run.

    Args:
        target: the store and the run.
        spool_dir: where undeliverable data is kept (absolute).
        retry: a ``RetryPolicy``.
        max_queued: queue bound in items, checked at every 1000th item (so the bound is
            rounded up to a multiple of 1000); a full queue makes the training thread wait.
        flush_interval_seconds: the longest a queued value waits before it is sent.
        owner: the tracker registered with ``lifecycle`` while the thread runs, so that exit
            and SIGTERM close it.
    """

    def __init__(
        self,
        target: RunTarget,
        spool_dir: str,
        retry: RetryPolicy,
        max_queued: int,
        flush_interval_seconds: float,
        owner: RunTracker,
    ) -> None:
        self.target = target
        self.spool_dir = spool_dir
        self.retry = retry
        self.max_queued = max_queued
        self.flush_interval_seconds = flush_interval_seconds
        self._owner = owner
        self._buffer: collections.deque[Any] = collections.deque()
        self._wake = threading.Event()
        self._room = threading.Event()
        self._start_lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._closed = False
        self._transport: Transport | None = None
        self.run_id = target.run_id
        self.experiment_id = target.experiment_id
        self._spool: SpoolWriter | None = None
        # Spooled entries not delivered yet, oldest first: (seq, entry, item count).
        self._backlog: collections.deque[tuple[int, dict[str, Any], int]] = collections.deque()
        self._in_outage = False
        self._next_probe = 0.0
        self._probes = 0
        # An own run's start and name, planned at first use (kept by a run that replay creates).
        self._start_time = now_millis()
        self._run_name: str | None = None
        self._infinite_keys: set[str] = set()
        self._reported: set[str] = set()
        self.sent = self.retried = self.spooled = self.dropped = 0
        # The tracking journal's cursor: advanced once metrics are delivered, spooled or dropped.
        self.journal_cursor: JournalCursor | None = None

    @property
    def queued(self) -> int:
        """How many items wait in the queue right now."""
        return len(self._buffer)

    @property
    def spool_path(self) -> str | None:
        """The spool file, once something was spooled; else None."""
        return self._spool.path if self._spool is not None and self._spool.used else None

    def run_location(self) -> str:
        """Where a user finds the run (empty while there is no run or no transport)."""
        if self.run_id and self._transport is not None:
            return self._transport.run_location(self.experiment_id, self.run_id)
        return ""

    def _start(self) -> None:
        # The training thread only starts the thread: mlflow (or requests), the connection and an
        # own run are the thread's business, so the first log_metric returns in microseconds.
        with self._start_lock:
            if self._worker is None:
                if self._closed:
                    raise TrackingError("the MLFLOW tracker is closed")
                lifecycle.prepare_background_import()
                if self.target.owns_run and self.run_id is None:
                    self._start_time = now_millis()
                self._worker = threading.Thread(target=self._work, name="mlpipelines-mlflow", daemon=True)
                self._worker.start()
                lifecycle.register_open(self._owner)

    def start(self) -> None:
        """Start the delivery thread now rather than at the first item; idempotent.

        Raises:
            TrackingError: the engine is closed.
        """
        if self._worker is None:
            self._start()

    def _enqueue(self, item: object) -> None:
        if self._worker is None:
            self._start()
        elif self._closed:
            raise TrackingError("the MLFLOW tracker is closed")
        buffer = self._buffer
        buffer.append(item)
        queued = len(buffer)
        if queued % MAX_METRICS_PER_BATCH == 0:
            if queued >= self.max_queued:
                self._wait_for_room()
            else:
                self._wake.set()

    def add_metric(self, key: str, value: float, timestamp: int, step: int) -> None:
        """Queue one validated metric; the hot path, once per metric on the training thread."""
        # _enqueue's body inlined once the worker runs, to save a Python call on the training
        # thread (measured by bench/bench_logging.py).
        if self._worker is None or self._closed:
            self._enqueue((key, value, timestamp, step))
            return
        buffer = self._buffer
        buffer.append((key, value, timestamp, step))
        queued = len(buffer)
        if queued % MAX_METRICS_PER_BATCH == 0:
            if queued >= self.max_queued:
                self._wait_for_room()
            else:
                self._wake.set()

    def add_entries(self, kind: str, values: dict[str, str]) -> None:
        """Queue params (``kind`` "params") or tags (``kind`` "tags")."""
        self._enqueue(_Entries(kind, dict(values)))

    def add_artifact(self, path: str, artifact_path: str | None) -> None:
        """Queue an existing file or directory for upload."""
        self._enqueue(_Artifact(os.path.abspath(path), artifact_path))

    def _wait_for_room(self) -> None:
        worker = self._worker
        while len(self._buffer) >= self.max_queued:
            if worker is None or not worker.is_alive():
                raise TrackingError("the MLflow delivery thread has stopped")
            self._room.clear()
            self._wake.set()
            self._room.wait(0.5)

    def flush(self) -> None:
        """Block until everything queued before this call was delivered or spooled."""
        worker = self._worker
        if worker is None or self._closed:
            return
        marker = _Flush()
        self._buffer.append(marker)
        self._wake.set()
        while not marker.done.wait(0.5):
            if not worker.is_alive():
                return

    def close(self, status: str) -> None:
        """Deliver everything, end an own run with ``status``, stop the thread; idempotent."""
        with self._start_lock:
            if self._closed:
                return
            self._closed = True
            worker = self._worker
        if worker is not None:
            self._buffer.append(_Close(status))
            self._wake.set()
            worker.join()
        lifecycle.unregister_open(self._owner)

    def _work(self) -> None:
        while True:
            pause = self.flush_interval_seconds
            if self._backlog:
                pause = min(pause, max(0.01, self._next_probe - time.monotonic()))
            self._wake.wait(pause)
            self._wake.clear()
            try:
                if self._drain():
                    return
            except Exception as error:  # the thread must survive anything to keep draining
                self._report_once("worker", f"MLflow delivery failed unexpectedly: {type(error).__name__}: {error}")

    def _drain(self) -> bool:
        buffer = self._buffer
        metrics: list[MetricEntry] = []
        finished = False
        while buffer:
            item = buffer.popleft()
            if type(item) is tuple:
                metrics.append(item)
                if len(metrics) == MAX_METRICS_PER_BATCH:
                    self._deliver_metrics(metrics)
                    metrics = []
                    self._room.set()
                continue
            if metrics:
                self._deliver_metrics(metrics)
                metrics = []
            if isinstance(item, _Flush):
                item.done.set()
            elif isinstance(item, _Entries):
                self._deliver_entries(item)
            elif isinstance(item, _Artifact):
                self._deliver_artifact(item)
            elif isinstance(item, _Close):
                self._end(item.status)
                # A last probe at close: what the store still refuses stays for replay.
                self._deliver_backlog(probe_now=True)
                finished = True
        if metrics:
            self._deliver_metrics(metrics)
        self._room.set()
        if self._backlog and not finished:
            self._deliver_backlog()
        return finished

    def _deliver_metrics(self, metrics: list[MetricEntry]) -> None:
        for key, value, _, _ in metrics:
            if (value == math.inf or value == -math.inf) and key not in self._infinite_keys:
                self._infinite_keys.add(key)
                _LOG.warning(
                    "MLFLOW: metric %r has an infinite value; MLflow stores it as "
                    "%s1.7976931348623157e308 (CSV and TensorBoard keep inf)",
                    key,
                    "-" if value < 0 else "",
                )
        self._send({"metrics": metrics}, len(metrics))
        if self.journal_cursor is not None:
            self.journal_cursor.advance(len(metrics))

    def _deliver_entries(self, entries: _Entries) -> None:
        items = list(entries.values.items())
        size = MAX_PARAMS_PER_BATCH if entries.kind == "params" else MAX_METRICS_PER_BATCH
        for start in range(0, len(items), size):
            chunk = dict(items[start : start + size])
            self._send({entries.kind: chunk}, len(chunk))

    def _deliver_artifact(self, artifact: _Artifact) -> None:
        self._send({"artifact": artifact.path, "artifact_path": artifact.artifact_path}, 1)

    def _end(self, status: str) -> None:
        if not self.target.owns_run:
            return
        if self.run_id is None and (self._spool is None or not self._spool.used):
            return  # nothing was ever logged: no run to end
        self._send({"end_run": status, "end_time": now_millis()}, 0)

    def _ready_transport(self) -> Transport:
        if self._transport is None:
            from .mlflow_transport import open_transport

            transport = open_transport(self.target.tracking_uri, self.retry.timeout_seconds)
            if self.target.owns_run and self.run_id is None and self._run_name is None:
                self._run_name = _planned_run_name(self._start_time)
            self._transport = transport
        return self._transport

    def _send(self, entry: dict[str, Any], count: int) -> None:
        """Deliver ``entry`` now, or spool it (behind what already waits there)."""
        if self._backlog:
            self._write_spool(entry, count)
            self._deliver_backlog()
        elif self._attempt(entry, count, probe_now=False) is None:
            self._write_spool(entry, count)

    def _deliver_backlog(self, probe_now: bool = False) -> None:
        """Deliver spooled entries in order until one fails transiently (the store is still away)."""
        spool = self._spool
        while self._backlog and spool is not None:
            sequence, entry, count = self._backlog[0]
            rejected = self._attempt(entry, count, probe_now)
            if rejected is None:
                return
            probe_now = False
            self._backlog.popleft()
            self.spooled -= count
            try:
                if rejected:
                    spool.mark_skipped(sequence, rejected, "rejected by the store")
                else:
                    spool.mark_delivered(sequence)
            except OSError as error:
                self._report_once(
                    "progress",
                    f"MLFLOW: cannot record progress in {spool.path}.progress: {error}; "
                    "a manual replay may send entries again",
                )

    def _attempt(self, entry: dict[str, Any], count: int, probe_now: bool) -> int | None:
        """Try ``entry`` under the retry policy; return the items lost to rejection, None if it must wait.

        In outage mode this is one probe, and only when the probe is due (or ``probe_now``).
        """
        from .mlflow_transport import DeliveryError

        if self._in_outage and not probe_now and time.monotonic() < self._next_probe:
            return None
        attempts = 1 if self._in_outage else max(1, self.retry.attempts)
        error: Exception | None = None
        for attempt in range(attempts):
            try:
                transport = self._ready_transport()
                rejected = deliver_entry(transport, self._run_for(transport), entry, self._rejected)
            except DeliveryError as failure:
                if not failure.transient:
                    self._leave_outage()
                    self._report_once(
                        f"permanent:{failure.error_code}:{_entry_kind(entry)}",
                        f"MLFLOW: {self.target.tracking_uri} rejected {_entry_kind(entry)} ({count} item(s)): "
                        f"{failure}; dropped (further rejections are counted in the closing message)",
                    )
                    self.dropped += count
                    return count
                error = failure
            except Exception as failure:  # e.g. mlflow fails to open the store: wait and probe again
                error = failure
            else:
                self._leave_outage()
                self.sent += count - rejected
                self.dropped += rejected
                return rejected
            if attempt + 1 < attempts:
                self.retried += 1
                time.sleep(self.retry.backoff(attempt))
        self._enter_outage(error)
        return None

    def _run_for(self, transport: Transport) -> str:
        if self.run_id is None:
            experiment_id = self.experiment_id or transport.experiment_id(self.target.experiment_name)
            self.experiment_id = experiment_id
            self.run_id = transport.create_run(experiment_id, self._start_time, self._run_name)
            if self._spool is not None and self._spool.used:
                # For a manual replay of entries spooled before the run existed.
                self._spool.append({"run_id": self.run_id})
        return self.run_id

    def _rejected(self, what: str, error: Exception) -> None:
        _LOG.error("MLFLOW: %s rejected %s: %s; dropped", self.target.tracking_uri, what, error)

    def _enter_outage(self, error: Exception | None) -> None:
        if not self._in_outage:
            self._in_outage = True
            self._probes = 0
            self._report_once(
                "outage",
                f"MLFLOW: delivery to {self.target.tracking_uri} failed: {error}; spooling to {self.spool_dir} "
                "and delivering the spool as soon as the store answers again",
            )
        self._next_probe = time.monotonic() + self.retry.probe_pause(self._probes)
        self._probes += 1

    def _leave_outage(self) -> None:
        if self._in_outage:
            self._in_outage = False
            _LOG.warning("MLFLOW: %s answers again; delivering what was spooled meanwhile", self.target.tracking_uri)

    def _write_spool(self, entry: dict[str, Any], count: int) -> None:
        try:
            if self._spool is None:
                header: dict[str, Any] = {
                    "tracking_uri": without_credentials(self.target.tracking_uri),
                    "run_id": self.run_id,
                    "experiment_id": self.experiment_id,
                    "experiment_name": self.target.experiment_name,
                    "owns_run": self.target.owns_run,
                }
                if self.target.owns_run:
                    header.update(start_time=self._start_time, run_name=self._run_name)
                self._spool = SpoolWriter(
                    self.spool_dir, header, f"{self.run_id or 'new-run'}-{os.getpid()}-{now_millis()}"
                )
            sequence = self._spool.append(entry)
            self._backlog.append((sequence, entry, count))
            self.spooled += count
        except OSError as error:
            self.dropped += count
            _LOG.error("MLFLOW: cannot write the spool in %s: %s; %d item(s) LOST", self.spool_dir, error, count)

    def _report_once(self, kind: str, message: str) -> None:
        if kind not in self._reported:
            self._reported.add(kind)
            _LOG.error("%s", message)


def _entry_kind(entry: dict[str, Any]) -> str:
    return next((kind for kind in ("metrics", "params", "tags", "artifact", "end_run") if kind in entry), "entry")


def _planned_run_name(start_time: int) -> str | None:
    """A run name in MLflow's own style (what the server would pick), fixed before the run exists.

    Only where mlflow is imported anyway: a process that talks to a server without mlflow leaves
    the name to the server (None).
    """
    if "mlflow" not in sys.modules:
        return None
    try:
        from mlflow.utils.name_utils import _generate_random_name

        return str(_generate_random_name())
    except Exception:  # a private helper of mlflow: fall back to a name of our own
        return f"run-{start_time}"
