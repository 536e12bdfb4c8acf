"""The MLFLOW backend's delivery engine: queue, background thread, batching, retry and spool.

The training thread only appends to an in-memory queue (a deque); the first item
imports mlflow there (once), later items never block on I/O. One daemon thread
drains the queue and sends ``log_batch`` requests of up to 1000 metrics. The
queue is bounded (``max_queued``): when it is full, the training thread waits for
room (back-pressure) instead of growing memory without limit. ``flush()`` and
``close()`` deliver what is queued.

Failures: a transient failure (server unreachable, timeout, HTTP 429/5xx) is
retried with bounded exponential backoff (``RetryPolicy``); what still fails is
appended to a JSONL spool (see ``spool.py``) and the engine enters outage mode:
later batches go straight to the spool, except one probe request every
``probe_seconds``, until the store answers again. A rejected request (HTTP 4xx) is
spooled at once. Nothing is dropped unless the spool itself cannot be written.

Values: metric keys with characters MLflow rejects are repaired (``_``) with one
warning per key; ±Inf is sent as is and MLflow stores ±1.7976931348623157e308,
with one warning per key.
"""

from __future__ import annotations

import collections
import logging
import math
import os
import posixpath
import re
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
    from .mlflow_transport import ClientTransport, RestTransport

    Transport = RestTransport | ClientTransport
    MetricEntry = tuple[str, float, int, int]

MAX_METRICS_PER_BATCH = 1000
MAX_PARAMS_PER_BATCH = 100

_LOG = logging.getLogger("mlpipelines.tracking")
_INVALID_KEY_CHARACTERS = re.compile(r"[^/\w.\- :]")
_MAX_KEY_LENGTH = 250


@dataclass(frozen=True)
class RetryPolicy:
    """How hard the backend tries before spooling.

    Attributes:
        attempts: tries per request while the store is healthy (>= 1).
        first_backoff_seconds: pause after the first failure; doubled each retry.
        max_backoff_seconds: upper bound of one pause.
        probe_seconds: in outage mode, the pause between single probe requests.
        timeout_seconds: per HTTP request.
    """

    attempts: int = 4
    first_backoff_seconds: float = 0.5
    max_backoff_seconds: float = 4.0
    probe_seconds: float = 10.0
    timeout_seconds: float = 15.0

    def backoff(self, retry_number: int) -> float:
        """The pause before retry ``retry_number`` (0-based)."""
        return min(self.max_backoff_seconds, self.first_backoff_seconds * 2.0**retry_number)


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


def _log_batch_action(params: dict[str, str], tags: dict[str, str]) -> Callable[[Transport, str], object]:
    return lambda transport, run_id: transport.log_batch(run_id, [], params, tags)


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
        self._in_outage = False
        self._next_probe = 0.0
        self._keys: dict[str, str] = {}
        self._infinite_keys: set[str] = set()
        self._reported: set[str] = set()
        self.sent = self.retried = self.spooled = self.dropped = 0

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
        from .mlflow_transport import import_mlflow

        with self._start_lock:
            if self._worker is None:
                if self._closed:
                    raise TrackingError("the MLFLOW tracker is closed")
                import_mlflow()
                self._worker = threading.Thread(target=self._work, name="mlpipelines-mlflow", daemon=True)
                self._worker.start()
                lifecycle.register_open(self._owner)

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
            self._wake.wait(self.flush_interval_seconds)
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
                finished = True
        if metrics:
            self._deliver_metrics(metrics)
        self._room.set()
        return finished

    def _deliver_metrics(self, metrics: list[MetricEntry]) -> None:
        keys = self._keys
        clean: list[MetricEntry] = []
        for key, value, timestamp, step in metrics:
            mlflow_key = keys.get(key)
            if mlflow_key is None:
                mlflow_key = keys[key] = self._mlflow_key(key)
            if (value == math.inf or value == -math.inf) and key not in self._infinite_keys:
                self._infinite_keys.add(key)
                _LOG.warning(
                    "MLFLOW: metric %r has an infinite value; MLflow stores it as "
                    "%s1.7976931348623157e308 (CSV and TensorBoard keep inf)",
                    key,
                    "-" if value < 0 else "",
                )
            clean.append((mlflow_key, value, timestamp, step))
        self._send(lambda transport, run_id: transport.log_batch(run_id, clean, {}, {}), {"metrics": clean}, len(clean))

    def _mlflow_key(self, key: str) -> str:
        repaired = _INVALID_KEY_CHARACTERS.sub("_", key)
        if posixpath.normpath(repaired) != repaired or repaired.startswith("/"):
            repaired = repaired.replace("/", "_")
        repaired = repaired[:_MAX_KEY_LENGTH]
        if repaired != key:
            _LOG.warning("MLFLOW: metric key %r is not valid in MLflow; logged as %r", key, repaired)
        return repaired

    def _deliver_entries(self, entries: _Entries) -> None:
        items = list(entries.values.items())
        size = MAX_PARAMS_PER_BATCH if entries.kind == "params" else MAX_METRICS_PER_BATCH
        for start in range(0, len(items), size):
            chunk = dict(items[start : start + size])
            params = chunk if entries.kind == "params" else {}
            tags = chunk if entries.kind == "tags" else {}
            self._send(_log_batch_action(params, tags), {entries.kind: chunk}, len(chunk))

    def _deliver_artifact(self, artifact: _Artifact) -> None:
        self._send(
            lambda transport, run_id: transport.log_artifact(run_id, artifact.path, artifact.artifact_path),
            {"artifact": artifact.path, "artifact_path": artifact.artifact_path},
            1,
        )

    def _end(self, status: str) -> None:
        if not self.target.owns_run:
            return
        if self.run_id is None and (self._spool is None or not self._spool.used):
            return  # nothing was ever logged: no run to end
        end_time = now_millis()
        self._send(
            lambda transport, run_id: transport.end_run(run_id, status, end_time),
            {"end_run": status, "end_time": end_time},
            0,
        )

    def _ready_transport(self) -> Transport:
        if self._transport is None:
            from .mlflow_transport import open_transport

            self._transport = open_transport(self.target.tracking_uri, self.retry.timeout_seconds)
        return self._transport

    def _with_retries(self, call: Callable[[Transport], object]) -> tuple[bool, Exception | None]:
        """Run ``call(transport)`` under the retry policy; return (ok, last error)."""
        from .mlflow_transport import DeliveryError

        if self._in_outage and time.monotonic() < self._next_probe:
            return False, None
        attempts = 1 if self._in_outage else max(1, self.retry.attempts)
        error: Exception | None = None
        for attempt in range(attempts):
            try:
                call(self._ready_transport())
            except DeliveryError as failure:
                error = failure
                if not failure.transient:
                    return False, failure
            except Exception as failure:  # e.g. mlflow fails to import or to open the store
                return False, failure
            else:
                if self._in_outage:
                    self._in_outage = False
                    _LOG.warning(
                        "MLFLOW: %s answers again; delivering new data, the spool keeps what was missed",
                        self.target.tracking_uri,
                    )
                return True, None
            if attempt + 1 < attempts:
                self.retried += 1
                time.sleep(self.retry.backoff(attempt))
        self._in_outage = True
        self._next_probe = time.monotonic() + self.retry.probe_seconds
        return False, error

    def _ensure_run(self) -> bool:
        if self.run_id is not None:
            return True

        def create(transport: Transport) -> None:
            experiment_id = self.experiment_id or transport.experiment_id(self.target.experiment_name)
            self.experiment_id = experiment_id
            self.run_id = transport.create_run(experiment_id)

        ok, error = self._with_retries(create)
        if ok:
            if self._spool is not None and self._spool.used:
                self._spool.append({"run_id": self.run_id})
            return True
        if error is not None:
            self._report_once(
                "create_run",
                f"MLFLOW: cannot create a run in {self.target.tracking_uri}: {error}; spooling to {self.spool_dir}",
            )
        return False

    def _send(self, action: Callable[[Transport, str], object], spool_entry: dict[str, Any], count: int) -> None:
        if self._ensure_run():
            run_id = self.run_id
            assert run_id is not None  # _ensure_run made sure
            ok, error = self._with_retries(lambda transport: action(transport, run_id))
            if ok:
                self.sent += count
                return
            if error is not None:
                self._report_once(
                    type(error).__name__ + str(getattr(error, "transient", "")),
                    f"MLFLOW: delivery to {self.target.tracking_uri} failed: {error}; spooling to "
                    f"{self.spool_dir} (further failures are counted in the closing message)",
                )
        self._write_spool(spool_entry, count)

    def _write_spool(self, entry: dict[str, Any], count: int) -> None:
        try:
            if self._spool is None:
                self._spool = SpoolWriter(
                    self.spool_dir,
                    {
                        "tracking_uri": without_credentials(self.target.tracking_uri),
                        "run_id": self.run_id,
                        "experiment_id": self.experiment_id,
                        "experiment_name": self.target.experiment_name,
                        "owns_run": self.target.owns_run,
                    },
                    f"{self.run_id or 'new-run'}-{os.getpid()}-{now_millis()}",
                )
            self._spool.append(entry)
            self.spooled += count
        except OSError as error:
            self.dropped += count
            _LOG.error("MLFLOW: cannot write the spool in %s: %s; %d item(s) LOST", self.spool_dir, error, count)

    def _report_once(self, kind: str, message: str) -> None:
        if kind not in self._reported:
            self._reported.add(kind)
            _LOG.error("%s", message)
