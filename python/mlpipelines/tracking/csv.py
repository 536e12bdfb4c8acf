"""CSV backend: ``<csv_dir>/<run>/metrics.csv`` plus ``params.yaml`` and ``tags.yaml``.

The layout is the Java <-> Python contract's: header ``step,timestamp,key,value``,
timestamp in ms, the value as ``repr(float)`` writes it (``0.25``, ``1e-05``,
``nan``, ``inf``). The file is opened with ``O_APPEND`` and each ``log_metric(s)``
call's rows go out in one ``write`` without user-space buffering, so rows of
concurrent writers never interleave mid-row and a crash loses nothing already
logged. Without ``--csv_run_name`` the backend claims the next ``run_<N>`` and owns
the run (it writes ``run.yaml`` with status and times); with it, the directory
must exist and its owner (the Java side) writes ``run.yaml``.

A full disk (or any failed write) is reported once on the ``mlpipelines.tracking``
logger and costs rows, never the file: ``os.write``'s count is checked, a short
write is continued, and a write that fails part-way is cut back to the last whole
row (when this process wrote the end of the file, as it does unless another writer
appended meanwhile). Rows not written are counted as dropped in the delivery
report; later calls keep trying (one failing system call each), so rows are
written again once there is room. ``close()`` ends ``run.yaml``; when the atomic
replace finds no room for the new copy, the file is rewritten in place (it stays
within the block it already has), and if even that fails the error says so.
"""

import contextlib
import errno
import logging
import os
import shutil
import tempfile
from collections.abc import Mapping
from typing import Optional

import yaml

from .base import DeliveryReport, RunTracker, now_millis, option, tracking_options
from .errors import TrackingError
from .registry import register_tracker
from .rundirs import (
    claim_run_directory,
    complete_prefix,
    describe_os_error,
    existing_run_directory,
    merge_yaml_mapping,
    read_yaml_mapping,
    write_all,
    write_yaml_atomically,
)

_LOG = logging.getLogger("mlpipelines.tracking")

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
        TrackingError: ``csv_run_name`` names a directory that does not exist, or
            ``metrics.csv`` cannot be created (e.g. the disk is full; the next call tries again).
    """

    options_class = CsvOptions

    def __init__(self, options: CsvOptions) -> None:
        self.options = options
        self.run_directory: str | None = None
        self.owns_run = options.csv_run_name is None
        self._descriptor: int | None = None
        self._start_time: int | None = None
        self._rows = 0
        self._dropped = 0
        self._fields: dict[str, str] = {}
        self._closed = False
        self._failure_reported = False
        self._notes: list[str] = []

    @property
    def metrics_path(self) -> str | None:
        """Path of ``metrics.csv`` (None before first use)."""
        return self.run_directory and os.path.join(self.run_directory, "metrics.csv")

    def _open(self) -> int:
        """Claim or find the run directory, open ``metrics.csv`` for appending; return its descriptor.

        A run directory claimed once is kept: after a failure (a full disk) the next call
        tries again in the same directory.

        Raises:
            TrackingError: the directory cannot be claimed or found, or ``metrics.csv`` cannot
                be created (the message names the path and a full disk as such).
        """
        if self.run_directory is None:
            parent = os.path.abspath(self.options.csv_dir)
            if self.options.csv_run_name is None:
                self.run_directory = claim_run_directory(parent)
                self._start_time = now_millis()
                try:
                    self._write_run_file("RUNNING", None)
                except TrackingError as error:  # the metrics matter more; close() tries run.yaml again
                    self._notes.append(f"run.yaml not written at start: {error}")
                    _LOG.error("CSV: %s", error)
            else:
                self.run_directory = existing_run_directory(parent, self.options.csv_run_name, "csv_run_name")
        metrics_path = os.path.join(self.run_directory, "metrics.csv")
        try:
            self._create_with_header(metrics_path)
            self._descriptor = descriptor = os.open(metrics_path, os.O_WRONLY | os.O_APPEND)
        except OSError as error:
            raise TrackingError(f"cannot create {metrics_path}: {describe_os_error(error)}") from error
        return descriptor

    @staticmethod
    def _create_with_header(path: str) -> None:
        # A hard link publishes a complete header atomically; whoever links first wins.
        if os.path.exists(path):
            return
        descriptor, temporary = tempfile.mkstemp(prefix=".metrics-", dir=os.path.dirname(path))
        try:
            try:
                write_all(descriptor, HEADER.encode())
            finally:
                os.close(descriptor)
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            os.unlink(temporary)

    def _run_directory(self) -> str:
        if self.run_directory is None or self._descriptor is None:
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
        row = f"{step},{timestamp},{field},{value!r}\n".encode()
        try:
            written = os.write(descriptor, row)
        except OSError as error:
            self._cut_failed_write(descriptor, [len(row)], 0, error)
            return
        if written == len(row):
            self._rows += 1
        else:
            self._finish_short_write(descriptor, row, [len(row)], written)

    def write_metrics(self, metrics: Mapping[str, float], timestamp: int, step: int) -> None:
        descriptor = self._descriptor
        if descriptor is None:
            descriptor = self._open()
        prefix = f"{step},{timestamp},"
        rows = [f"{prefix}{_csv_field(key)},{value!r}\n" for key, value in metrics.items()]
        data = "".join(rows).encode()
        try:
            written = os.write(descriptor, data)
        except OSError as error:
            self._cut_failed_write(descriptor, [len(row.encode()) for row in rows], 0, error)
            return
        if written == len(data):
            self._rows += len(rows)
        else:
            self._finish_short_write(descriptor, data, [len(row.encode()) for row in rows], written)

    def _finish_short_write(self, descriptor: int, data: bytes, row_lengths: list[int], written: int) -> None:
        """Write the rest of a short write; on failure cut it back to whole rows."""
        try:
            while written < len(data):
                written += os.write(descriptor, data[written:])
        except OSError as error:
            self._cut_failed_write(descriptor, row_lengths, written, error)
            return
        self._rows += len(row_lengths)

    def _cut_failed_write(self, descriptor: int, row_lengths: list[int], written: int, error: OSError) -> None:
        """Count the rows of a failed write and remove the torn row it left at the end of the file."""
        kept_rows, kept_bytes = complete_prefix(row_lengths, written)
        self._rows += kept_rows
        self._dropped += len(row_lengths) - kept_rows
        torn = written - kept_bytes
        if torn:
            try:
                # With O_APPEND our bytes went to the end; they still are unless another writer appended since.
                end = os.lseek(descriptor, 0, os.SEEK_CUR)
                if os.fstat(descriptor).st_size != end:
                    raise TrackingError("another writer appended after it")
                os.ftruncate(descriptor, end - torn)
            except (OSError, TrackingError) as cut_error:
                note = f"a torn row of {torn} bytes is left in {self.metrics_path}: {cut_error}"
                self._notes.append(note)
                _LOG.error("CSV: %s", note)
        self._report_failure(error)

    def _report_failure(self, error: OSError) -> None:
        if self._failure_reported:
            return
        self._failure_reported = True
        reason = describe_os_error(error)
        self._notes.append(f"not written: {reason}")
        _LOG.error(
            "CSV: writing to %s failed: %s; rows not written are counted as dropped and later rows are "
            "still tried (the closing message has the counts)",
            self.metrics_path,
            reason,
        )

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
        """Close ``metrics.csv`` and, if this tracker owns the run, end ``run.yaml`` with ``status``; idempotent.

        A ``run.yaml`` that cannot be written is reported (logged, and in the delivery
        report's note), not raised.
        """
        if self._closed:
            return
        self._closed = True
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None
        if self.owns_run and self.run_directory is not None:
            try:
                self._write_run_file(status, now_millis())
            except TrackingError as error:
                note = f"run.yaml not ended as {status}: {error}"
                self._notes.append(note)
                _LOG.error("CSV: cannot end the run as %s: %s", status, error)

    def _write_run_file(self, status: str, end_time: int | None) -> None:
        """Write ``run.yaml`` atomically; without room for a second copy, rewrite it in place.

        Raises:
            TrackingError: neither worked (the message names the file and the reason).
        """
        assert self.run_directory is not None
        run_file = os.path.join(self.run_directory, "run.yaml")
        try:
            run = read_yaml_mapping(run_file)
        except TrackingError:
            run = {}  # torn by an earlier failure: this write repairs it
        run.setdefault("name", os.path.basename(self.run_directory))
        run.setdefault("start_time", self._start_time)
        run.update(status=status, end_time=end_time)
        try:
            write_yaml_atomically(run_file, run)
        except TrackingError as atomic_error:
            if not os.path.exists(run_file):
                raise
            text = yaml.safe_dump(run, allow_unicode=True, sort_keys=True, default_flow_style=False).encode()
            try:
                descriptor = os.open(run_file, os.O_WRONLY)
                try:
                    written = os.pwrite(descriptor, text, 0)
                    if written != len(text):
                        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                    os.ftruncate(descriptor, len(text))
                finally:
                    os.close(descriptor)
            except OSError as error:
                raise TrackingError(
                    f"{atomic_error}; rewriting it in place failed too: {describe_os_error(error)}"
                ) from error

    def delivery_report(self) -> DeliveryReport:
        return DeliveryReport(
            sent=self._rows, dropped=self._dropped, location=self.metrics_path or "", note="; ".join(self._notes)
        )


register_tracker("CSV", CsvTracker)
