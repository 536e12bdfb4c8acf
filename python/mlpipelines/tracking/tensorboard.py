"""TENSORBOARD backend: scalars written with tensorboardX into ``<log_dir>/<run>/``.

tensorboardX's ``SummaryWriter.add_scalar`` spends 20-40 µs per value (numpy
checks, one event each, a ``multiprocessing.Queue``), so the training thread only
appends to a bounded in-memory queue and one daemon thread of ours feeds
tensorboardX's ``FileWriter``, writing the values that share a step and a
timestamp as one event (one ``Summary`` with several values, which TensorBoard
reads like separate scalars). ``flush()`` and ``close()`` write everything to disk.

tensorboardX is imported on first use; without it, building the backend fails
with the pip requirement. Without ``--tensorboard_run_name`` the next
``run_<N>`` is claimed; with it, the directory must exist (the Java side created
it and writes params and tags there as text summaries).
"""

import collections
import functools
import logging
import os
import threading
from collections.abc import Callable, Mapping
from typing import Any, Optional

from . import lifecycle
from .base import DeliveryReport, RunTracker, end_status, option, tracking_options
from .errors import TrackingError
from .registry import register_tracker
from .requirements import require_library
from .rundirs import claim_run_directory, existing_run_directory

_LOG = logging.getLogger("mlpipelines.tracking")
_WAKE_EVERY = 1000


@tracking_options
class TensorBoardOptions:
    """Options of the TENSORBOARD backend."""

    tensorboard_log_dir: str = option(
        "TensorBoard log directory, one sub-directory per run (default: runs/tb)", default="runs/tb"
    )
    tensorboard_run_name: Optional[str] = option(
        "existing run directory to write into (default: claim the next run_<N>)", default=None
    )


class _Marker:
    __slots__ = ("closing", "done")

    def __init__(self, closing: bool) -> None:
        self.done = threading.Event()
        self.closing = closing


class TensorBoardTracker(RunTracker):
    """Writes each metric as a TensorBoard scalar (tag = key, step, wall time = timestamp).

    Args:
        options: a ``TensorBoardOptions``.
        max_queued: queue bound in items (checked every 1000th item); a full queue makes
            the training thread wait.

    Raises:
        TrackingError: tensorboardX is not installed (the message holds the pip requirement);
            on first use, ``tensorboard_run_name`` names a directory that does not exist.
    """

    options_class = TensorBoardOptions
    flush_seconds = 10

    def __init__(self, options: TensorBoardOptions, *, max_queued: int = 100_000) -> None:
        require_library("TENSORBOARD", "tensorboardX")
        self.options = options
        self.max_queued = max_queued
        self.run_directory: str | None = None
        self._queue: collections.deque[Any] = collections.deque()
        self._wake = threading.Event()
        self._room = threading.Event()
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._writer: Any = None
        self._closed = False
        self.sent = self.dropped = 0
        self._failure_reported = False

    def _start(self) -> None:
        with self._lock:
            if self._closed:
                raise TrackingError("the TENSORBOARD tracker is closed")
            if self._worker is not None:
                return
            import tensorboardX  # noqa: F401  (import here, not in the thread: see mlflow_transport.import_mlflow)

            log_dir = os.path.abspath(self.options.tensorboard_log_dir)
            if self.options.tensorboard_run_name is None:
                self.run_directory = claim_run_directory(log_dir)
            else:
                self.run_directory = existing_run_directory(
                    log_dir, self.options.tensorboard_run_name, "tensorboard_run_name"
                )
            worker = threading.Thread(target=self._work, name="mlpipelines-tensorboard", daemon=True)
            self._worker = worker
            worker.start()
            lifecycle.register_open(self)

    def _enqueue(self, item: object) -> None:
        if self._worker is None or self._closed:
            self._start()
        queue = self._queue
        queue.append(item)
        queued = len(queue)
        if queued % _WAKE_EVERY == 0:
            if queued >= self.max_queued:
                self._wait_for_room()
            else:
                self._wake.set()

    def write_metric(self, key: str, value: float, timestamp: int, step: int) -> None:
        self._enqueue((key, value, timestamp, step))

    def write_metrics(self, metrics: Mapping[str, float], timestamp: int, step: int) -> None:
        for key, value in metrics.items():
            self._enqueue((key, value, timestamp, step))

    def write_params(self, params: dict[str, str]) -> None:
        self._enqueue(("params", dict(params)))

    def write_tags(self, tags: dict[str, str]) -> None:
        self._enqueue(("tags", dict(tags)))

    def _wait_for_room(self) -> None:
        worker = self._worker
        while len(self._queue) >= self.max_queued and worker is not None and worker.is_alive():
            self._room.clear()
            self._wake.set()
            self._room.wait(0.5)

    def flush(self) -> None:
        """Block until everything logged so far is in the event file on disk."""
        if self._worker is not None and not self._closed:
            self._wait_for(_Marker(closing=False))

    def close(self, status: str = "FINISHED") -> None:
        """Write everything, close the event file and stop the thread; idempotent."""
        end_status(status)
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if self._worker is not None:
            self._wait_for(_Marker(closing=True))
            self._worker.join()
        lifecycle.unregister_open(self)

    def _wait_for(self, marker: _Marker) -> None:
        self._queue.append(marker)
        self._wake.set()
        worker = self._worker
        while not marker.done.wait(0.5):
            if worker is None or not worker.is_alive():
                return

    def delivery_report(self) -> DeliveryReport:
        return DeliveryReport(sent=self.sent, dropped=self.dropped, location=self.run_directory or "")

    def _work(self) -> None:
        while True:
            self._wake.wait(1.0)
            self._wake.clear()
            if self._drain():
                return

    def _drain(self) -> bool:
        queue = self._queue
        group: list[tuple[str, float, int, int]] = []
        while queue:
            item = queue.popleft()
            if len(queue) % _WAKE_EVERY == 0:
                self._room.set()
            if type(item) is tuple and len(item) == 4:
                if group and (group[0][2], group[0][3]) != (item[2], item[3]):
                    self._write_scalars(group)
                    group = []
                group.append(item)
                continue
            if group:
                self._write_scalars(group)
                group = []
            if isinstance(item, _Marker):
                # tensorboardX's flush() does not wait for its own queue; closing does.
                self._guard(self._close_writer, 0)
                item.done.set()
                if item.closing:
                    return True
            else:
                self._guard(functools.partial(self._write_text, *item), 0)
        if group:
            self._write_scalars(group)
        self._room.set()
        return False

    def _writer_or_open(self) -> Any:
        if self._writer is None:
            from tensorboardX import FileWriter

            self._writer = FileWriter(self.run_directory, max_queue=1000, flush_secs=self.flush_seconds)
        return self._writer

    def _write_scalars(self, group: list[tuple[str, float, int, int]]) -> None:
        """Write scalars sharing one step and time as one event (one Summary, many values)."""

        def write() -> None:
            from tensorboardX.proto.summary_pb2 import Summary

            _, _, timestamp, step = group[0]
            summary = Summary(value=[Summary.Value(tag=key, simple_value=value) for key, value, _, _ in group])
            self._writer_or_open().add_summary(summary, global_step=step, walltime=timestamp / 1000.0)
            self.sent += len(group)

        self._guard(write, len(group))

    def _write_text(self, tag: str, mapping: dict[str, str]) -> None:
        from tensorboardX.summary import text

        rows = "\n".join(f"| {key} | {value} |" for key, value in sorted(mapping.items()))
        self._writer_or_open().add_summary(text(tag, f"| key | value |\n|---|---|\n{rows}"))

    def _close_writer(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()

    def _guard(self, call: Callable[[], object], items: int) -> None:
        try:
            call()
        except Exception as error:
            self.dropped += items
            if not self._failure_reported:
                self._failure_reported = True
                _LOG.error(
                    "TENSORBOARD: writing to %s failed: %s: %s (further failures are counted in the closing message)",
                    self.run_directory,
                    type(error).__name__,
                    error,
                )


register_tracker("TENSORBOARD", TensorBoardTracker)
