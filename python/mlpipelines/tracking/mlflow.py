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

import os
from collections.abc import Mapping
from typing import Optional

from .base import DeliveryReport, RunTracker, end_status, option, tracking_options
from .journal import JournalCursor
from .mlflow_delivery import DEFAULT_RETRY, MLflowDelivery, RetryPolicy, RunTarget
from .registry import register_tracker
from .requirements import require_library


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
        "directory for what cannot be delivered, replayed later with python -m mlpipelines.tracking.replay "
        "(default: mlflow-spool)",
        default="mlflow-spool",
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
        require_library("MLFLOW", "mlflow")
        self.options = options
        self.owns_run = options.mlflow_run_id is None
        self.spool_dir = os.path.abspath(options.mlflow_spool_dir)
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
        self._delivery.add_entries("params", params)

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
        self._delivery.close(end_status(status))

    def delivery_report(self) -> DeliveryReport:
        delivery = self._delivery
        spool_path = delivery.spool_path
        note = ""
        if spool_path is not None:
            note = f"spool {spool_path}; deliver it with: python -m mlpipelines.tracking.replay {self.spool_dir}"
        return DeliveryReport(
            sent=delivery.sent,
            retried=delivery.retried,
            spooled=delivery.spooled,
            dropped=delivery.dropped,
            location=delivery.run_location(),
            note=note,
        )


register_tracker("MLFLOW", MLflowTracker)
