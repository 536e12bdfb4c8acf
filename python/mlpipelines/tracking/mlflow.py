"""MLFLOW backend: metrics batched into an MLflow run from a background thread.

This module is the backend: its options, who owns the run, and the ``write_*``
hooks. The delivery engine behind it (queue, batching thread, retry, spool) is
``mlflow_delivery.MLflowDelivery``; the store calls are ``mlflow_transport``.
The training thread only validates and queues; ``flush()``, ``close()``,
interpreter exit and SIGTERM deliver what is queued.

Ownership: with ``--mlflow_run_id`` the backend logs into that run and never
ends it (the Java side owns it); without, it creates a run in
``--mlflow_experiment_id`` or ``--mlflow_experiment_name`` on first use and ends
it on ``close(status)``.

Failures: what cannot be delivered after bounded retries goes to a JSONL spool in
``--mlflow_spool_dir``; ``python -m mlpipelines.tracking.replay SPOOL_DIR``
delivers it later, exactly once. Nothing is dropped unless the spool itself
cannot be written, and the closing message says so.
"""

import importlib.util
import logging
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any, Optional

from .base import DeliveryReport, RunTracker, end_status, option, tracking_options
from .errors import TrackingError
from .journal import JournalCursor
from .mlflow_delivery import DEFAULT_RETRY, MLflowDelivery, RetryPolicy, RunTarget
from .registry import register_tracker
from .requirements import require_library

_LOG = logging.getLogger("mlpipelines.tracking")
MAX_PARAM_VALUE_LENGTH = 6000
"""MLflow's longest param value, in characters (Java: ``MLflowTracker.MAX_PARAM_VALUE_LENGTH``)."""
LONG_PARAMS_DIRECTORY = "long_params"
"""Artifact directory holding the full values of cut params (Java: ``MLflowTracker.LONG_PARAMS_DIRECTORY``)."""


def replay_command() -> str:
    """The command that replays a spool from any directory: this environment's ``mlpipelines replay`` when
    the console script is installed beside this interpreter, else this interpreter running the module (a
    bare ``python`` from the PATH may be another environment without this package)."""
    console_script = os.path.join(os.path.dirname(sys.executable), "mlpipelines")
    if os.access(console_script, os.X_OK):
        return f"{console_script} replay"
    return f"{sys.executable} -m mlpipelines.tracking.replay"


def long_param_value(key: str, value: str) -> str:
    """What the param holds for a value over MLflow's limit: its beginning and a note naming the artifact
    with the full value, ``MAX_PARAM_VALUE_LENGTH`` characters in all; the same text as Java's, and a warning."""
    file = f"{LONG_PARAMS_DIRECTORY}/{re.sub(r'[^A-Za-z0-9._-]', '_', key)}.txt"
    marker = f"\u2026 [truncated: {len(value)} characters, full value in artifact {file}]"
    keep = MAX_PARAM_VALUE_LENGTH - len(marker)
    _LOG.warning(
        "MLFLOW: param '%s' has %d characters, more than MLflow's %d; the param holds its first %d and artifact %s "
        "the full value",
        key,
        len(value),
        MAX_PARAM_VALUE_LENGTH,
        keep,
        file,
    )
    return value[:keep] + marker


def refuse_credentials_in_server_url(tracking_uri: str) -> None:
    """Refuse an http(s) tracking URI with ``USER:PASSWORD@``, never quoting it (the Java half's rule).

    Such a URI would reach every message that names the server; MLflow reads credentials from
    the environment, where they belong.
    """
    if tracking_uri.strip().lower().startswith(("http://", "https://")):
        authority = urllib.parse.urlsplit(tracking_uri.strip()).netloc
        if "@" in authority:
            raise TrackingError(
                "--mlflow_tracking_uri holds credentials (USER:PASSWORD@); remove them and set "
                "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, or MLFLOW_TRACKING_TOKEN, in the environment"
            )


def _default_tracking_uri() -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or "sqlite:///mlflow.db"


@tracking_options
class MLflowOptions:
    """Options of the MLFLOW backend (credentials travel in the environment, never here)."""

    mlflow_tracking_uri: str = option(
        "MLflow tracking URI (default: $MLFLOW_TRACKING_URI or sqlite:///mlflow.db)",
        default_factory=_default_tracking_uri,
    )
    mlflow_run_id: Optional[str] = option(
        "log into this existing run and leave ending it to its owner (default: create and end our own run)",
        default=None,
    )
    mlflow_experiment_id: Optional[str] = option(
        "experiment of our own run (default: the one named by --mlflow_experiment_name)", default=None
    )
    mlflow_experiment_name: str = option(
        "experiment of our own run, created if missing (default: default)", default="default"
    )
    mlflow_spool_dir: str = option(
        "directory for what cannot be delivered, replayed later with mlpipelines replay (default: mlflow-spool)",
        default="mlflow-spool",
    )
    # Text, like every option the Java half gives (its values arrive exactly as Java wrote them).
    mlflow_system_metrics_interval: str = option(
        "seconds between samples of MLflow's system metrics (CPU, memory, disk, network) logged into the run "
        "as system/...; 0 turns them off (default: 0)",
        default="0",
    )


class MLflowTracker(RunTracker):
    """Logs metrics, params, tags and artifacts into an MLflow run, off the training thread.

    Args:
        options: an ``MLflowOptions``.
        retry: a ``RetryPolicy``.
        max_queued: queue bound in items, checked at every 1000th item (so the bound is
            rounded up to a multiple of 1000); a full queue makes the training thread wait.
        flush_interval_seconds: the longest a logged value waits before it is sent.

    Raises:
        TrackingError: mlflow is not installed (the message holds the pip requirement).
    """

    options_class = MLflowOptions
    delivers_in_background = True

    def __init__(
        self,
        options: MLflowOptions,
        *,
        retry: RetryPolicy = DEFAULT_RETRY,
        max_queued: int = 100_000,
        flush_interval_seconds: float = 2.0,
    ) -> None:
        refuse_credentials_in_server_url(options.mlflow_tracking_uri)
        require_library("MLFLOW", "mlflow")
        self.options = options
        self.owns_run = options.mlflow_run_id is None
        self.spool_dir = os.path.abspath(options.mlflow_spool_dir)
        self._long_params_dir: str | None = None
        target = RunTarget(
            options.mlflow_tracking_uri,
            options.mlflow_run_id,
            options.mlflow_experiment_id,
            options.mlflow_experiment_name,
            self.owns_run,
        )
        self._delivery = MLflowDelivery(target, self.spool_dir, retry, max_queued, flush_interval_seconds, self)
        # The hot path, once per metric: the engine's method itself, saving a Python call on the
        # training thread (measured by bench/bench_logging.py).
        self.write_metric = self._delivery.add_metric  # type: ignore[method-assign]
        interval = system_metrics_interval(options.mlflow_system_metrics_interval)
        self._system_metrics = SystemMetrics(options, interval) if interval > 0 else None
        if self._system_metrics is not None:
            self._system_metrics.bind(lambda: self._delivery.run_id)

    @property
    def run_id(self) -> str | None:
        """The MLflow run id (None until an own run has been created)."""
        return self._delivery.run_id

    @property
    def queued(self) -> int:
        """How many items wait in the queue right now."""
        return self._delivery.queued

    def attach_journal_cursor(self, cursor: JournalCursor) -> None:
        self._delivery.journal_cursor = cursor

    def write_metrics(self, metrics: Mapping[str, float], timestamp: int, step: int) -> None:
        add_metric = self._delivery.add_metric
        for key, value in metrics.items():
            add_metric(key, value, timestamp, step)

    def write_params(self, params: dict[str, str]) -> None:
        long_keys = [key for key, value in params.items() if len(value) > MAX_PARAM_VALUE_LENGTH]
        if long_keys:
            params = dict(params)
            for key in long_keys:
                params[key] = self._store_long_param(key, params[key])
        self._delivery.add_entries("params", params)

    def _store_long_param(self, key: str, value: str) -> str:
        """The Java half's policy (``MLflowTracker.storeLongParam``): the full value as the artifact
        ``long_params/<key>.txt``, the param its beginning and a note, 6000 characters in all."""
        if self._long_params_dir is None:
            self._long_params_dir = tempfile.mkdtemp(prefix="mlpipelines-long-params-")
        file_name = re.sub(r"[^A-Za-z0-9._-]", "_", key) + ".txt"
        # One directory per value: the same key logged twice must not overwrite a file still queued.
        directory = tempfile.mkdtemp(dir=self._long_params_dir)
        path = os.path.join(directory, file_name)
        with open(path, "w", encoding="utf-8") as file:
            file.write(value)
        self._delivery.add_artifact(path, LONG_PARAMS_DIRECTORY)
        return long_param_value(key, value)

    def write_tags(self, tags: dict[str, str]) -> None:
        self._delivery.add_entries("tags", tags)

    def write_artifact(self, path: str, artifact_path: str | None) -> None:
        self._delivery.add_artifact(path, artifact_path)

    def start(self) -> None:
        """Start the delivery thread, which imports what it needs, connects and creates an own run."""
        self._delivery.start()

    def flush(self) -> None:
        """Block until everything logged before this call was delivered or spooled."""
        self._delivery.flush()

    def close(self, status: str = "FINISHED") -> None:
        """Deliver everything, end our own run with ``status``, stop the thread; idempotent.

        Args:
            status: FINISHED, FAILED or KILLED; ignored for a run owned by someone else.
        """
        if self._system_metrics is not None:
            self._system_metrics.stop()
        self._delivery.close(end_status(status))
        # The full values of long params are uploaded from these files; a spooled upload still needs them.
        if self._long_params_dir is not None and not self._delivery.spooled:
            shutil.rmtree(self._long_params_dir, ignore_errors=True)
            self._long_params_dir = None

    def delivery_report(self) -> DeliveryReport:
        delivery = self._delivery
        spool_path = delivery.spool_path
        note = ""
        if spool_path is not None:
            note = f"spool {spool_path}; deliver it with: {replay_command()} {self.spool_dir}"
        return DeliveryReport(
            sent=delivery.sent,
            retried=delivery.retried,
            spooled=delivery.spooled,
            dropped=delivery.dropped,
            location=delivery.run_location(),
            note=note,
        )


def system_metrics_interval(text: str) -> float:
    """``--mlflow_system_metrics_interval`` in seconds; raises ``TrackingError`` for anything but a number >= 0."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0 or seconds == float("inf"):
        raise TrackingError(f"--mlflow_system_metrics_interval={text!r} is not a number of seconds >= 0")
    return seconds


class SystemMetrics:
    """MLflow's own system metrics monitor (``mlflow.system_metrics``) for the run, on its own thread.

    It starts once the run has an id (at once for a run given by ``--mlflow_run_id``; an own run is created
    by the delivery thread, so a starter thread waits for it, at most ``START_DEADLINE_SECONDS``) and logs
    ``system/cpu_utilization_percentage``, ``system/system_memory_usage_megabytes`` and the like every
    ``mlflow_system_metrics_interval`` seconds until ``stop()``. A monitor that cannot start is reported once
    and training goes on.
    """

    START_DEADLINE_SECONDS = 120.0

    def __init__(self, options: MLflowOptions, interval: float) -> None:
        if importlib.util.find_spec("psutil") is None:
            # Only this option needs it, so it is no requirement of every MLflow script.
            raise TrackingError(
                "MLflow's system metrics (--mlflow_system_metrics_interval) need psutil: pip install 'psutil>=5.9'"
            )
        self._options = options
        self._interval = interval
        self._monitor: Any = None
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._starter = threading.Thread(target=self._start, name="mlflow-system-metrics", daemon=True)
        self._run_id: Callable[[], str | None] = lambda: options.mlflow_run_id

    def bind(self, run_id: Callable[[], str | None]) -> None:
        """Where the run id comes from; starts the monitor once it is known."""
        self._run_id = run_id
        self._starter.start()

    def _start(self) -> None:
        deadline = time.monotonic() + self.START_DEADLINE_SECONDS
        while (run_id := self._run_id()) is None:
            if self._stopped.wait(0.2) or time.monotonic() > deadline:
                return
        try:
            from mlflow.system_metrics.system_metrics_monitor import SystemMetricsMonitor

            monitor = SystemMetricsMonitor(
                run_id,
                sampling_interval=self._interval,
                resume_logging=True,
                tracking_uri=self._options.mlflow_tracking_uri,
            )
            with self._lock:
                if self._stopped.is_set():
                    return
                monitor.start()
                self._monitor = monitor
        except Exception as error:  # system metrics are extra: training goes on without them
            _LOG.warning("MLFLOW: system metrics are off for this run: %s: %s", type(error).__name__, error)

    def stop(self) -> None:
        """Logs the last samples and stops the monitor (or keeps it from starting); idempotent."""
        with self._lock:
            self._stopped.set()
            monitor, self._monitor = self._monitor, None
        if monitor is not None:
            monitor.finish()


register_tracker("MLFLOW", MLflowTracker)
