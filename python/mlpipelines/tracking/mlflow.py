"""MLFLOW backend: metrics batched into an MLflow run from a background thread.

The training thread only validates and appends to an in-memory queue (a deque);
the first call imports mlflow there (once), later calls never block on I/O. One
daemon thread drains the queue and sends ``log_batch`` requests of up to 1000
metrics. The queue is bounded (``max_queued``): when it is full, the training
thread waits for room (back-pressure) instead of growing memory without limit.
``flush()``, ``close()``, interpreter exit and SIGTERM deliver what is queued.

Ownership: with ``--mlflow_run_id`` the backend logs into that run and never
ends it (the Java side owns it); without, it creates a run in
``--mlflow_experiment_id`` or ``--mlflow_experiment_name`` on first use and ends
it on ``close(status)``.

Failures: a transient failure (server unreachable, timeout, HTTP 429/5xx) is
retried with bounded exponential backoff (``RetryPolicy``); what still fails is
appended to a JSONL spool (see ``spool.py``) and the backend enters outage mode:
later batches go straight to the spool, except one probe request every
``probe_seconds``, until the store answers again. A rejected request (HTTP 4xx) is
spooled at once. ``python -m mlpipelines.tracking.replay SPOOL_DIR`` delivers the
spool later, exactly once. Nothing is dropped unless the spool itself cannot be
written, and the closing message says so.

Values: metric keys with characters MLflow rejects are repaired (``_``) with one
warning per key; ±Inf is sent as is and MLflow stores ±1.7976931348623157e308,
with one warning per key.
"""

import collections
import importlib.util
import logging
import math
import os
import posixpath
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass
from typing import Optional

from . import lifecycle
from .base import (ConfigKey, DeliveryReport, RunTracker, end_status, now_millis, option,
                   tracking_options)
from .errors import TrackingError
from .registry import register_tracker
from .spool import SpoolWriter

REQUIREMENT = "mlflow>=2.12"
MAX_METRICS_PER_BATCH = 1000
MAX_PARAMS_PER_BATCH = 100
SPOOL_DIR_ENVIRONMENT_VARIABLE = "MLPIPELINES_SPOOL_DIR"

_LOG = logging.getLogger("mlpipelines.tracking")
_INVALID_KEY_CHARACTERS = re.compile(r"[^/\w.\- :]")
_MAX_KEY_LENGTH = 250


def _default_tracking_uri():
    return os.environ.get("MLFLOW_TRACKING_URI") or "sqlite:///mlflow.db"


@tracking_options
class MLflowOptions:
    """Options of the MLFLOW backend (credentials travel in the environment, never here)."""

    mlflow_tracking_uri: str = option(
        "MLflow tracking URI (default: $MLFLOW_TRACKING_URI or sqlite:///mlflow.db)",
        default_factory=_default_tracking_uri)
    mlflow_run_id: Optional[str] = option(
        "log into this existing run and leave ending it to its owner "
        "(default: create and end our own run)", default=None)
    mlflow_experiment_id: Optional[str] = option(
        "experiment of our own run (default: the one named by --mlflow_experiment_name)",
        default=None)
    mlflow_experiment_name: str = option("experiment of our own run, created if missing "
                                         "(default: default)",
                                         default="default")


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

    def backoff(self, retry_number):
        """The pause before retry ``retry_number`` (0-based)."""
        return min(self.max_backoff_seconds, self.first_backoff_seconds * 2 ** retry_number)


class _Flush:
    __slots__ = ("done",)

    def __init__(self):
        self.done = threading.Event()


class _Close:
    __slots__ = ("status",)

    def __init__(self, status):
        self.status = status


class _Entries:
    __slots__ = ("kind", "values")

    def __init__(self, kind, values):
        self.kind = kind
        self.values = values


class _Artifact:
    __slots__ = ("path", "artifact_path")

    def __init__(self, path, artifact_path):
        self.path = path
        self.artifact_path = artifact_path


def _without_credentials(uri):
    parts = urllib.parse.urlsplit(uri)
    if parts.username is None and parts.password is None:
        return uri
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return urllib.parse.urlunsplit(parts._replace(netloc=host))


class MLflowTracker(RunTracker):
    """Logs metrics, params, tags and artifacts into an MLflow run, off the training thread.

    Args:
        options: an ``MLflowOptions``.
        spool_dir: where undeliverable data is kept (default: ``$MLPIPELINES_SPOOL_DIR`` or
            ``./mlflow-spool``).
        retry: a ``RetryPolicy``.
        max_queued: queue bound in items, checked at every 1000th item (so the bound is
            rounded up to a multiple of 1000); a full queue makes the training thread wait.
        flush_interval_seconds: the longest a logged value waits before it is sent.

    Raises:
        TrackingError: mlflow is not installed (the message holds the pip requirement).
    """

    options_class = MLflowOptions
    config_keys = {"experiment_name": ConfigKey("mlflow_experiment_name", "name"),
                   "tracking_uri": ConfigKey("mlflow_tracking_uri", "name"),
                   "clean_up": ConfigKey(None, "run_statuses")}

    def __init__(self, options, *, spool_dir=None, retry=RetryPolicy(), max_queued=100_000,
                 flush_interval_seconds=2.0):
        if importlib.util.find_spec("mlflow") is None:
            raise TrackingError(f"the MLFLOW backend needs mlflow: pip install '{REQUIREMENT}'")
        self.options = options
        self.owns_run = options.mlflow_run_id is None
        self.retry = retry
        self.max_queued = max_queued
        self.flush_interval_seconds = flush_interval_seconds
        self.spool_dir = os.path.abspath(
            spool_dir or os.environ.get(SPOOL_DIR_ENVIRONMENT_VARIABLE) or "mlflow-spool")
        self._buffer = collections.deque()
        self._wake = threading.Event()
        self._room = threading.Event()
        self._start_lock = threading.Lock()
        self._worker = None
        self._closed = False
        self._transport = None
        self._run_id = options.mlflow_run_id
        self._experiment_id = options.mlflow_experiment_id
        self._spool = None
        self._in_outage = False
        self._next_probe = 0.0
        self._keys = {}
        self._infinite_keys = set()
        self._reported = set()
        self.sent = self.retried = self.spooled = self.dropped = 0

    @property
    def run_id(self):
        """The MLflow run id (None until an own run has been created)."""
        return self._run_id

    @property
    def queued(self):
        """How many items wait in the queue right now."""
        return len(self._buffer)

    def _start(self):
        from .mlflow_transport import import_mlflow

        with self._start_lock:
            if self._worker is None:
                if self._closed:
                    raise TrackingError("the MLFLOW tracker is closed")
                import_mlflow()
                self._worker = threading.Thread(target=self._work, name="mlpipelines-mlflow",
                                                daemon=True)
                self._worker.start()
                lifecycle.register_open(self)

    def _enqueue(self, item):
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

    def write_metric(self, key, value, timestamp, step):
        # The hot path, once per metric: _enqueue's body inlined once the worker runs, to save a
        # Python call on the training thread (measured by bench/bench_logging.py).
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

    def write_metrics(self, metrics, timestamp, step):
        for key, value in metrics.items():
            self.write_metric(key, value, timestamp, step)

    def write_params(self, params):
        self._enqueue(_Entries("params", dict(params)))

    def write_tags(self, tags):
        self._enqueue(_Entries("tags", dict(tags)))

    def write_artifact(self, path, artifact_path):
        self._enqueue(_Artifact(os.path.abspath(path), artifact_path))

    def _wait_for_room(self):
        while len(self._buffer) >= self.max_queued:
            if not self._worker.is_alive():
                raise TrackingError("the MLflow delivery thread has stopped")
            self._room.clear()
            self._wake.set()
            self._room.wait(0.5)

    def flush(self):
        """Block until everything logged before this call was delivered or spooled."""
        if self._worker is None or self._closed:
            return
        marker = _Flush()
        self._buffer.append(marker)
        self._wake.set()
        while not marker.done.wait(0.5):
            if not self._worker.is_alive():
                return

    def close(self, status="FINISHED"):
        """Deliver everything, end our own run with ``status``, stop the thread; idempotent.

        Args:
            status: FINISHED, FAILED or KILLED; ignored for a run owned by someone else.
        """
        status = end_status(status)
        with self._start_lock:
            if self._closed:
                return
            self._closed = True
            worker = self._worker
        if worker is not None:
            self._buffer.append(_Close(status))
            self._wake.set()
            worker.join()
        lifecycle.unregister_open(self)

    def delivery_report(self):
        location = ""
        if self._run_id and self._transport is not None:
            location = self._transport.run_location(self._experiment_id, self._run_id)
        note = ""
        if self._spool is not None and self._spool.used:
            note = (f"spool {self._spool.path}; deliver it with: "
                    f"python -m mlpipelines.tracking.replay {self.spool_dir}")
        return DeliveryReport(sent=self.sent, retried=self.retried, spooled=self.spooled,
                              dropped=self.dropped, location=location, note=note)

    def _work(self):
        while True:
            self._wake.wait(self.flush_interval_seconds)
            self._wake.clear()
            try:
                if self._drain():
                    return
            except Exception as error:  # the thread must survive anything to keep draining
                self._report_once("worker", f"MLflow delivery failed unexpectedly: "
                                            f"{type(error).__name__}: {error}")

    def _drain(self):
        buffer = self._buffer
        metrics = []
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

    def _deliver_metrics(self, metrics):
        keys = self._keys
        clean = []
        for key, value, timestamp, step in metrics:
            mlflow_key = keys.get(key)
            if mlflow_key is None:
                mlflow_key = keys[key] = self._mlflow_key(key)
            if (value == math.inf or value == -math.inf) and key not in self._infinite_keys:
                self._infinite_keys.add(key)
                _LOG.warning("MLFLOW: metric %r has an infinite value; MLflow stores it as "
                             "%s1.7976931348623157e308 (CSV and TensorBoard keep inf)",
                             key, "-" if value < 0 else "")
            clean.append((mlflow_key, value, timestamp, step))
        self._send(lambda transport, run_id: transport.log_batch(run_id, clean, {}, {}),
                   {"metrics": clean}, len(clean))

    def _mlflow_key(self, key):
        repaired = _INVALID_KEY_CHARACTERS.sub("_", key)
        if posixpath.normpath(repaired) != repaired or repaired.startswith("/"):
            repaired = repaired.replace("/", "_")
        repaired = repaired[:_MAX_KEY_LENGTH]
        if repaired != key:
            _LOG.warning("MLFLOW: metric key %r is not valid in MLflow; logged as %r",
                         key, repaired)
        return repaired

    def _deliver_entries(self, entries):
        items = list(entries.values.items())
        size = MAX_PARAMS_PER_BATCH if entries.kind == "params" else MAX_METRICS_PER_BATCH
        for start in range(0, len(items), size):
            chunk = dict(items[start:start + size])
            params = chunk if entries.kind == "params" else {}
            tags = chunk if entries.kind == "tags" else {}
            self._send(lambda transport, run_id: transport.log_batch(run_id, [], params, tags),
                       {entries.kind: chunk}, len(chunk))

    def _deliver_artifact(self, artifact):
        self._send(lambda transport, run_id: transport.log_artifact(
            run_id, artifact.path, artifact.artifact_path),
            {"artifact": artifact.path, "artifact_path": artifact.artifact_path}, 1)

    def _end(self, status):
        if not self.owns_run:
            return
        if self._run_id is None and (self._spool is None or not self._spool.used):
            return  # nothing was ever logged: no run to end
        end_time = now_millis()
        self._send(lambda transport, run_id: transport.end_run(run_id, status, end_time),
                   {"end_run": status, "end_time": end_time}, 0)

    def _ready_transport(self):
        if self._transport is None:
            from .mlflow_transport import open_transport

            self._transport = open_transport(self.options.mlflow_tracking_uri,
                                             self.retry.timeout_seconds)
        return self._transport

    def _with_retries(self, call):
        """Run ``call(transport)`` under the retry policy; return (ok, last error)."""
        from .mlflow_transport import DeliveryError

        if self._in_outage and time.monotonic() < self._next_probe:
            return False, None
        attempts = 1 if self._in_outage else max(1, self.retry.attempts)
        error = None
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
                    _LOG.warning("MLFLOW: %s answers again; delivering new data, the spool keeps "
                                 "what was missed", self.options.mlflow_tracking_uri)
                return True, None
            if attempt + 1 < attempts:
                self.retried += 1
                time.sleep(self.retry.backoff(attempt))
        self._in_outage = True
        self._next_probe = time.monotonic() + self.retry.probe_seconds
        return False, error

    def _ensure_run(self):
        if self._run_id is not None:
            return True

        def create(transport):
            experiment_id = self._experiment_id or transport.experiment_id(
                self.options.mlflow_experiment_name)
            self._experiment_id = experiment_id
            self._run_id = transport.create_run(experiment_id)

        ok, error = self._with_retries(create)
        if ok:
            if self._spool is not None and self._spool.used:
                self._spool.append({"run_id": self._run_id})
            return True
        if error is not None:
            self._report_once("create_run", f"MLFLOW: cannot create a run in "
                                            f"{self.options.mlflow_tracking_uri}: {error}; "
                                            f"spooling to {self.spool_dir}")
        return False

    def _send(self, action, spool_entry, count):
        if self._ensure_run():
            ok, error = self._with_retries(lambda transport: action(transport, self._run_id))
            if ok:
                self.sent += count
                return
            if error is not None:
                self._report_once(type(error).__name__ + str(getattr(error, "transient", "")),
                                  f"MLFLOW: delivery to {self.options.mlflow_tracking_uri} "
                                  f"failed: {error}; spooling to {self.spool_dir} "
                                  f"(further failures are counted in the closing message)")
        self._write_spool(spool_entry, count)

    def _write_spool(self, entry, count):
        try:
            if self._spool is None:
                self._spool = SpoolWriter(self.spool_dir, {
                    "tracking_uri": _without_credentials(self.options.mlflow_tracking_uri),
                    "run_id": self._run_id, "experiment_id": self._experiment_id,
                    "experiment_name": self.options.mlflow_experiment_name,
                    "owns_run": self.owns_run},
                    f"{self._run_id or 'new-run'}-{os.getpid()}-{now_millis()}")
            self._spool.append(entry)
            self.spooled += count
        except OSError as error:
            self.dropped += count
            _LOG.error("MLFLOW: cannot write the spool in %s: %s; %d item(s) LOST",
                       self.spool_dir, error, count)

    def _report_once(self, kind, message):
        if kind not in self._reported:
            self._reported.add(kind)
            _LOG.error("%s", message)


register_tracker("MLFLOW", MLflowTracker)
