"""CSV backend: ``<csv_dir>/<run>/metrics.csv`` plus ``params.yaml`` and ``tags.yaml``.

``params.yaml`` keeps value types: a param logged as ``0.1`` reads back as the float 0.1
(see ``rundirs.typed_param``); ``tags.yaml`` holds strings.

The default layout (``--csv_layout long``) is the Java <-> Python contract's: header
``step,timestamp,key,value``, timestamp in ms, the value as ``repr(float)`` writes it
(``0.25``, ``1e-05``, ``nan``, ``inf``). The file is opened with ``O_APPEND`` and rows
go out in whole-row ``write`` calls, so rows of concurrent writers never interleave
mid-row. Without a tracking journal each ``log_metric(s)`` call is one ``write``, so a
crash loses nothing already logged. With a journal (``--tracking_journal``, what the
launcher passes) rows are buffered and written together (every 1024 rows, at least
once a second while logging goes on (the clock is read every 64 rows), and at ``flush()``/``close()``): the backend then
advances its journal cursor only for rows that are in the file, so
``python -m mlpipelines.tracking.recover`` writes whatever a killed script had
buffered, and a metric costs the training thread no system call.

``--csv_layout wide`` writes ``metrics.csv`` as Lightning's CSVLogger does: one row per
step, a ``step`` column and one column per metric, columns sorted by name, an empty cell
where a step has no value of that metric, no timestamps. Values logged for the same step
by consecutive calls share a row (a key logged twice in one step starts a new row). A
metric that appears for the first time rewrites the file with the wider header (atomically,
as Lightning does); a metric named ``step`` is written as ``metric.step`` (warned once).
The wide layout is for one writing process (rank 0); rows are written when their step is
complete (the next step begins), at ``flush()`` and at ``close()``.

Without ``--csv_run_name`` the backend claims the next ``run_<N>`` and owns the
run (it writes ``run.yaml`` with status and times); with it, the directory
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
import csv
import errno
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Mapping
from typing import Optional

import yaml

from .base import DeliveryReport, RunTracker, now_millis, option, tracking_options
from .errors import TrackingError
from .journal import JournalCursor
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
LAYOUTS = ("long", "wide")
_NEEDS_QUOTES = frozenset(',"\r\n')
# Buffered rows (with a journal) go out at this many, or when the oldest waited this long.
_ROWS_PER_WRITE = 1024  # a multiple of 64: write_metric checks the size when it reads the clock
_MAX_BUFFER_SECONDS = 1.0
_CLOCK_EVERY_MASK = 63
_WIDE_STEP = "step"
_WIDE_STEP_METRIC = "metric.step"


@tracking_options
class CsvOptions:
    """Options of the CSV backend."""

    csv_dir: str = option("directory holding one sub-directory per run (default: runs/csv)", default="runs/csv")
    csv_run_name: Optional[str] = option(
        "existing run directory to write into (default: claim the next run_<N>)", default=None
    )
    csv_layout: str = option(
        "metrics.csv layout: long (step,timestamp,key,value; one row per value) or wide (Lightning's "
        "CSVLogger: one row per step, one column per metric) (default: long)",
        default="long",
    )


def _csv_field(text: str) -> str:
    if _NEEDS_QUOTES.isdisjoint(text):
        return text
    return '"' + text.replace('"', '""') + '"'


class CsvTracker(RunTracker):
    """Appends metrics to ``metrics.csv`` as they are logged.

    Args:
        options: a ``CsvOptions``.

    Raises:
        ValueError: ``csv_layout`` is not one of ``LAYOUTS``.
        TrackingError (on first use, reported by the fan-out): ``csv_run_name`` names a directory
            that does not exist, or ``metrics.csv`` cannot be created (e.g. the disk is full; the
            next call tries again).
    """

    options_class = CsvOptions
    # With a journal the rows are buffered and the cursor is advanced here, once they are in the file.
    delivers_in_background = True

    def __init__(self, options: CsvOptions) -> None:
        if options.csv_layout not in LAYOUTS:
            raise ValueError(f"csv_layout is {options.csv_layout!r}; expected one of {', '.join(LAYOUTS)}")
        self.options = options
        self.wide = options.csv_layout == "wide"
        # Long layout with a journal: rows not written yet, and when the oldest of them must go out.
        self._buffer: list[str] | None = None
        self._buffer_deadline = 0.0
        # The "step,timestamp," prefix of the last buffered row, and what it was made of.
        self._prefix = ""
        self._prefix_step = self._prefix_timestamp = -1
        self._cursor: JournalCursor | None = None
        # Wide layout: the file's columns, the row of the current step, complete rows not written yet.
        self._columns: list[str] | None = None
        self._wide_row: dict[str, float] | None = None
        self._wide_step = -1
        self._wide_rows: list[tuple[int, dict[str, float]]] = []
        self._wide_values = 0
        self._step_metric_warned = False
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
        if self.wide:
            return -1  # written by _write_wide_file, a file at a time
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
        if self.run_directory is None or (self._descriptor is None and not self.wide):
            self._open()
        assert self.run_directory is not None  # _open set it
        return self.run_directory

    def start(self) -> None:
        """Claim (or find) the run directory and open ``metrics.csv``; idempotent."""
        if self.run_directory is None or (self._descriptor is None and not self.wide):
            self._open()

    def attach_journal_cursor(self, cursor: JournalCursor) -> None:
        """Buffer rows from now on: the journal keeps them until the cursor says they are in the file."""
        self._cursor = cursor
        if not self.wide:
            self._buffer = []

    def _buffered(self, queued: int) -> None:
        """Called at the first buffered row and every 64th: note when the first is due, or write if due or full."""
        now = time.monotonic()
        if queued == 1:
            self._buffer_deadline = now + _MAX_BUFFER_SECONDS
        elif queued >= _ROWS_PER_WRITE or now >= self._buffer_deadline:
            self._write_buffer()

    def _write_buffer(self) -> None:
        """Write the buffered rows in one ``write``, then advance the journal cursor past them."""
        buffer = self._buffer
        if not buffer:
            return
        self._buffer = []
        descriptor = self._descriptor
        if descriptor is None:  # the file could not be opened (reported then): these rows are lost
            self._dropped += len(buffer)
            self._advance(len(buffer))
            return
        data = "".join(buffer).encode()
        try:
            written = os.write(descriptor, data)
        except OSError as error:
            self._cut_failed_write(descriptor, [len(row.encode()) for row in buffer], 0, error)
        else:
            if written == len(data):
                self._rows += len(buffer)
            else:
                self._finish_short_write(descriptor, data, [len(row.encode()) for row in buffer], written)
        self._advance(len(buffer))

    def _advance(self, count: int) -> None:
        if self._cursor is not None:
            self._cursor.advance(count)

    def write_metric(self, key: str, value: float, timestamp: int, step: int) -> None:
        if self.wide:
            self._wide_add(key, value, step)
            return
        field = self._fields.get(key)
        buffer = self._buffer
        if buffer is not None:
            if field is None:
                field = self._fields[key] = _csv_field(key)
            if self._descriptor is None:
                self._open()
            # Metrics of one step mostly share the millisecond too: their row prefix is made once.
            if step != self._prefix_step or timestamp != self._prefix_timestamp:
                self._prefix = f"{step},{timestamp},"
                self._prefix_step, self._prefix_timestamp = step, timestamp
            buffer.append(f"{self._prefix}{field},{value!r}\n")
            queued = len(buffer)
            if queued & _CLOCK_EVERY_MASK == 0 or queued == 1:  # the clock is read every 64 rows, not per row
                self._buffered(queued)
            return
        descriptor = self._descriptor
        if descriptor is None:
            descriptor = self._open()
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
        if self.wide:
            for key, value in metrics.items():
                self._wide_add(key, value, step)
            return
        descriptor = self._descriptor
        if descriptor is None:
            descriptor = self._open()
        prefix = f"{step},{timestamp},"
        fields = self._fields
        try:
            rows = [f"{prefix}{fields[key]},{value!r}\n" for key, value in metrics.items()]
        except KeyError:  # a key's first row: its field is made once, then looked up
            for key in metrics:
                if key not in fields:
                    fields[key] = _csv_field(key)
            rows = [f"{prefix}{fields[key]},{value!r}\n" for key, value in metrics.items()]
        buffer = self._buffer
        if buffer is not None:
            first = not buffer
            buffer += rows
            now = time.monotonic()
            if first:
                self._buffer_deadline = now + _MAX_BUFFER_SECONDS
            if len(buffer) >= _ROWS_PER_WRITE or now >= self._buffer_deadline:
                self._write_buffer()
            return
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

    def _wide_add(self, key: str, value: float, step: int) -> None:
        if self.run_directory is None:
            self._run_directory()
        if key == _WIDE_STEP:
            if not self._step_metric_warned:
                self._step_metric_warned = True
                _LOG.warning("CSV: a metric named 'step' is written as %r in the wide layout", _WIDE_STEP_METRIC)
            key = _WIDE_STEP_METRIC
        row = self._wide_row
        if row is None or step != self._wide_step or key in row:
            if row is not None:
                self._wide_rows.append((self._wide_step, row))
            row = self._wide_row = {}
            self._wide_step = step
            if len(self._wide_rows) >= _ROWS_PER_WRITE or (self._cursor is None and self._wide_rows):
                self._write_wide_rows()
        row[key] = value
        self._wide_values += 1

    def _write_wide_rows(self, include_open_row: bool = False) -> None:
        """Write the complete rows (and the open one if asked); a new metric rewrites the file wider."""
        rows = self._wide_rows
        if include_open_row and self._wide_row:
            rows.append((self._wide_step, self._wide_row))
            self._wide_row = None
        if not rows:
            return
        self._wide_rows = []
        values = sum(len(row) for _, row in rows)
        self._wide_values -= values
        path = os.path.join(self._run_directory(), "metrics.csv")
        try:
            self._write_wide_file(path, rows)
        except OSError as error:
            self._dropped += values
            self._report_failure(error)
        else:
            self._rows += values
        self._advance(values)

    def _write_wide_file(self, path: str, rows: list[tuple[int, dict[str, float]]]) -> None:
        if self._columns is None:
            self._columns = _read_header(path)
        new_keys = {key for _, row in rows for key in row}.difference(self._columns)
        rewrite = bool(new_keys) or not self._columns
        columns = sorted({*self._columns, *new_keys, _WIDE_STEP}) if rewrite else self._columns
        lines = "".join(
            ",".join(str(step) if column == _WIDE_STEP else _wide_cell(row.get(column)) for column in columns) + "\n"
            for step, row in rows
        )
        if rewrite:
            self._rewrite_wide(path, columns, lines)
            self._columns = columns
            return
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND)
        try:
            write_all(descriptor, lines.encode())
        finally:
            os.close(descriptor)

    @staticmethod
    def _rewrite_wide(path: str, columns: list[str], appended: str) -> None:
        """Replace ``path`` atomically with the header ``columns``, its old rows re-laid, and ``appended``."""
        header = ",".join(_csv_field(column) for column in columns) + "\n"
        old_rows = []
        if os.path.exists(path):
            with open(path, newline="", encoding="utf-8") as source:
                for record in csv.DictReader(source):
                    old_rows.append(",".join(record.get(column) or "" for column in columns) + "\n")
        descriptor, temporary = tempfile.mkstemp(prefix=".metrics-", dir=os.path.dirname(path))
        try:
            try:
                write_all(descriptor, (header + "".join(old_rows) + appended).encode())
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise

    def flush(self) -> None:
        """Write what is buffered (long layout with a journal) or waiting (wide layout: the open row too)."""
        if self.wide:
            self._write_wide_rows(include_open_row=True)
        elif self._buffer:
            self._write_buffer()

    def write_params(self, params: dict[str, str]) -> None:
        # Typed: numbers and booleans read back from params.yaml as such (rundirs.typed_param).
        merge_yaml_mapping(os.path.join(self._run_directory(), "params.yaml"), params, typed=True)

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
        try:
            self.flush()
        except TrackingError as error:
            self._notes.append(f"rows not written at close: {error}")
            _LOG.error("CSV: %s", error)
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


def _wide_cell(value: float | None) -> str:
    return "" if value is None else repr(value)


def _read_header(path: str) -> list[str]:
    """The columns of an existing wide ``metrics.csv`` ([] when there is none yet)."""
    try:
        with open(path, newline="", encoding="utf-8") as source:
            return next(csv.reader(source), [])
    except FileNotFoundError:
        return []


register_tracker("CSV", CsvTracker)
