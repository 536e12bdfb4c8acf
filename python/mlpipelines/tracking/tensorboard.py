"""TENSORBOARD backend: scalars written with tensorboardX into ``<log_dir>/<run>/``.

tensorboardX is imported on first use; without it, building the backend fails
with the pip requirement. Without ``--tensorboard_run_name`` the next
``run_<N>`` is claimed; with it, the directory must exist (the Java side created
it and writes params and tags there as text summaries).
"""

import importlib.util
import os
from typing import Optional

from . import lifecycle
from .base import DeliveryReport, RunTracker, option, tracking_options
from .errors import TrackingError
from .registry import register_tracker
from .rundirs import claim_run_directory, existing_run_directory

REQUIREMENT = "tensorboardX>=2.6"


@tracking_options
class TensorBoardOptions:
    """Options of the TENSORBOARD backend."""

    tensorboard_log_dir: str = option("TensorBoard log directory, one sub-directory per run "
                                      "(default: runs/tb)",
                                      default="runs/tb")
    tensorboard_run_name: Optional[str] = option(
        "existing run directory to write into (default: claim the next run_<N>)", default=None)


class TensorBoardTracker(RunTracker):
    """Writes each metric as a TensorBoard scalar (tag = key, step, wall time = timestamp).

    Events reach the file from tensorboardX's writer thread within ``flush_seconds``;
    ``flush()`` and ``close()`` write everything.

    Args:
        options: a ``TensorBoardOptions``.

    Raises:
        TrackingError: tensorboardX is not installed (the message holds the pip requirement).
    """

    options_class = TensorBoardOptions
    flush_seconds = 10
    max_queue = 1000

    def __init__(self, options):
        if importlib.util.find_spec("tensorboardX") is None:
            raise TrackingError(f"the TENSORBOARD backend needs tensorboardX: "
                                f"pip install '{REQUIREMENT}'")
        self.options = options
        self.run_directory = None
        self._writer = None
        self._scalars = 0
        self._closed = False

    def _open(self):
        from tensorboardX import SummaryWriter

        if self.run_directory is None:
            if self.options.tensorboard_run_name is None:
                self.run_directory = claim_run_directory(
                    os.path.abspath(self.options.tensorboard_log_dir))
            else:
                self.run_directory = existing_run_directory(
                    os.path.abspath(self.options.tensorboard_log_dir),
                    self.options.tensorboard_run_name, "tensorboard_run_name")
            lifecycle.register_open(self)
        self._writer = SummaryWriter(logdir=self.run_directory, max_queue=self.max_queue,
                                     flush_secs=self.flush_seconds)
        return self._writer

    def write_metric(self, key, value, timestamp, step):
        writer = self._writer or self._open()
        writer.add_scalar(key, value, global_step=step, walltime=timestamp / 1000.0)
        self._scalars += 1

    def write_metrics(self, metrics, timestamp, step):
        writer = self._writer or self._open()
        walltime = timestamp / 1000.0
        for key, value in metrics.items():
            writer.add_scalar(key, value, global_step=step, walltime=walltime)
        self._scalars += len(metrics)

    def write_params(self, params):
        self._write_text("params", params)

    def write_tags(self, tags):
        self._write_text("tags", tags)

    def _write_text(self, tag, mapping):
        writer = self._writer or self._open()
        rows = "\n".join(f"| {key} | {value} |" for key, value in sorted(mapping.items()))
        writer.add_text(tag, f"| key | value |\n|---|---|\n{rows}")

    def flush(self):
        """Make everything logged so far readable on disk.

        tensorboardX's own ``flush()`` does not wait for the events still in its queue,
        so this closes the current event file; the next value opens a new event file in
        the same run directory (TensorBoard reads every event file of a run).
        """
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()

    def close(self, status="FINISHED"):
        if self._closed:
            return
        self._closed = True
        if self._writer is not None:
            self._writer.close()
        lifecycle.unregister_open(self)

    def delivery_report(self):
        return DeliveryReport(sent=self._scalars, location=self.run_directory or "")


register_tracker("TENSORBOARD", TensorBoardTracker)
