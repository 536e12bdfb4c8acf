"""CSV backend: ``<csv_dir>/<run>/metrics.csv`` plus ``params.yaml`` and ``tags.yaml``.

The layout is the Java <-> Python contract's: header ``step,timestamp,key,value``,
timestamp in ms, the value as ``repr(float)`` writes it (``0.25``, ``1e-05``,
``nan``, ``inf``). The file is opened with ``O_APPEND`` and each ``log_metric(s)``
call's rows go out in one ``write`` without user-space buffering, so rows of
concurrent writers never interleave mid-row and a crash loses nothing already
logged. Without ``--csv_run_name`` the backend claims the next ``run_<N>`` and owns
the run (it writes ``run.yaml`` with status and times); with it, the directory
must exist and its owner (the Java side) writes ``run.yaml``.
"""

import contextlib
import os
import shutil
import tempfile
from collections.abc import Mapping
from typing import Optional

from .base import DeliveryReport, RunTracker, now_millis, option, tracking_options
from .registry import register_tracker
from .rundirs import (
    claim_run_directory,
    existing_run_directory,
    merge_yaml_mapping,
    read_yaml_mapping,
    write_yaml_atomically,
)

HEADER = "step,timestamp,key,value\n"
_NEEDS_QUOTES = frozenset(',"\r\n')


@tracking_options
class CsvOptions:
    """Options of the CSV backend."""

    csv_dir: str = option("directory holding one sub-directory per run (default: runs/csv)", default="runs/csv")
    csv_run_name: Optional[str] = option(
        "existing run directory to write into (default: claim the next run_<N>)", default=None
    )


def _csv_field(text: str) -> str:
    if _NEEDS_QUOTES.isdisjoint(text):
        return text
    return '"' + text.replace('"', '""') + '"'


class CsvTracker(RunTracker):
    """Appends metrics to ``metrics.csv`` as they are logged.

    Args:
        options: a ``CsvOptions``.

    Raises (on first use, reported by the fan-out):
        TrackingError: ``csv_run_name`` names a directory that does not exist.
    """

    options_class = CsvOptions

    def __init__(self, options: CsvOptions) -> None:
        self.options = options
        self.run_directory: str | None = None
        self.owns_run = options.csv_run_name is None
        self._descriptor: int | None = None
        self._rows = 0
        self._fields: dict[str, str] = {}
        self._closed = False

    @property
    def metrics_path(self) -> str | None:
        """Path of ``metrics.csv`` (None before first use)."""
        return self.run_directory and os.path.join(self.run_directory, "metrics.csv")

    def _open(self) -> int:
        """Claim or find the run directory, open ``metrics.csv`` for appending; return its descriptor."""
        if self.options.csv_run_name is None:
            run_directory = claim_run_directory(os.path.abspath(self.options.csv_dir))
            write_yaml_atomically(
                os.path.join(run_directory, "run.yaml"),
                {
                    "name": os.path.basename(run_directory),
                    "status": "RUNNING",
                    "start_time": now_millis(),
                    "end_time": None,
                },
            )
        else:
            run_directory = existing_run_directory(
                os.path.abspath(self.options.csv_dir), self.options.csv_run_name, "csv_run_name"
            )
        self.run_directory = run_directory
        metrics_path = os.path.join(run_directory, "metrics.csv")
        self._create_with_header(metrics_path)
        self._descriptor = descriptor = os.open(metrics_path, os.O_WRONLY | os.O_APPEND)
        return descriptor

    @staticmethod
    def _create_with_header(path: str) -> None:
        # A hard link publishes a complete header atomically; whoever links first wins.
        if os.path.exists(path):
            return
        descriptor, temporary = tempfile.mkstemp(prefix=".metrics-", dir=os.path.dirname(path))
        try:
            os.write(descriptor, HEADER.encode())
            os.close(descriptor)
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            os.unlink(temporary)

    def _run_directory(self) -> str:
        if self.run_directory is None:
            self._open()
        assert self.run_directory is not None  # _open set it
        return self.run_directory

    def write_metric(self, key: str, value: float, timestamp: int, step: int) -> None:
        descriptor = self._descriptor
        if descriptor is None:
            descriptor = self._open()
        field = self._fields.get(key)
        if field is None:
            field = self._fields[key] = _csv_field(key)
        os.write(descriptor, f"{step},{timestamp},{field},{value!r}\n".encode())
        self._rows += 1

    def write_metrics(self, metrics: Mapping[str, float], timestamp: int, step: int) -> None:
        descriptor = self._descriptor
        if descriptor is None:
            descriptor = self._open()
        prefix = f"{step},{timestamp},"
        rows = "".join([f"{prefix}{_csv_field(key)},{value!r}\n" for key, value in metrics.items()])
        os.write(descriptor, rows.encode())
        self._rows += len(metrics)

    def write_params(self, params: dict[str, str]) -> None:
        merge_yaml_mapping(os.path.join(self._run_directory(), "params.yaml"), params)

    def write_tags(self, tags: dict[str, str]) -> None:
        merge_yaml_mapping(os.path.join(self._run_directory(), "tags.yaml"), tags)

    def write_artifact(self, path: str, artifact_path: str | None) -> None:
        target = os.path.join(self._run_directory(), "artifacts", artifact_path or "")
        os.makedirs(target, exist_ok=True)
        destination = os.path.join(target, os.path.basename(os.path.normpath(path)))
        if os.path.isdir(path):
            shutil.copytree(path, destination, dirs_exist_ok=True)
        else:
            shutil.copy2(path, destination)

    def close(self, status: str = "FINISHED") -> None:
        if self._closed:
            return
        self._closed = True
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None
        if self.owns_run and self.run_directory is not None:
            run_file = os.path.join(self.run_directory, "run.yaml")
            run = read_yaml_mapping(run_file)
            run.update(status=status, end_time=now_millis())
            write_yaml_atomically(run_file, run)

    def delivery_report(self) -> DeliveryReport:
        return DeliveryReport(sent=self._rows, location=self.metrics_path or "")


register_tracker("CSV", CsvTracker)
