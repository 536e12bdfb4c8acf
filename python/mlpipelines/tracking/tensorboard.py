"""TENSORBOARD backend: scalars written as TensorBoard events into ``<log_dir>/<run>/``.

tensorboardX's ``SummaryWriter.add_scalar`` spends 20-40 µs per value (numpy
checks, one event each, a ``multiprocessing.Queue``), so the training thread only
appends to a bounded in-memory queue and one daemon thread of ours writes the
event file, the values that share a step and a timestamp as one event (one
``Summary`` with several values, which TensorBoard reads like separate scalars).
``flush()`` and ``close()`` write everything to disk.

The event file is written here: scalar events encoded by ``scalar_event``, text and
HParams events with TensorBoard's own protobuf classes (``tensorboard``, which
reads these files too), the record checksum by the ``crc32c`` package. Not with
tensorboardX: importing its package imports torch and comet_ml where they are
installed (2 s of CPU under the interpreter lock and ~250 MiB in the training
process), and its ``EventFileWriter`` feeds its own thread through a bounded
``multiprocessing.Queue`` whose ``put`` and whose ``close()`` (``put`` of a stop
signal, then ``join()``) wait forever once the thread died, e.g. of ENOSPC. Our
writes go out with ``os.pwrite`` at known offsets; a write that fails (full
disk, I/O error) is cut off at the last complete record, so the file always
reads back, the failure is reported once on the ``mlpipelines.tracking`` logger,
every value not written is counted as dropped, and later writes keep trying (a
freed disk takes values again).

No wait is unbounded: a full queue, ``flush()`` and ``close()`` wait for the
writer thread only while it makes progress; a thread that died, or wrote
nothing for ``stall_seconds``, is given up: reported once, everything it had not
written counted as dropped, and the backend refuses (counts as dropped) further
values instead of queueing them.

TensorBoard's protobuf classes are imported by the writer thread; without the
``tensorboard`` package, building the backend fails with the pip requirement.
Without ``--tensorboard_run_name`` the next ``run_<N>`` is claimed; with it, the
directory must exist (the Java side created it and writes params and tags there
as text summaries).
"""

import collections
import functools
import logging
import math
import os
import re
import shutil
import socket
import struct
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Optional

from . import lifecycle
from .base import DeliveryReport, RunTracker, end_status, option, tracking_options
from .errors import TrackingError
from .journal import JournalCursor
from .registry import register_tracker
from .requirements import require_library
from .rundirs import claim_run_directory, complete_prefix, describe_os_error, existing_run_directory

_LOG = logging.getLogger("mlpipelines.tracking")
_WAKE_EVERY = 1000
# Events per os.pwrite: few system calls, and a failed write loses at most this many events' values.
_EVENTS_PER_WRITE = 256

_Scalar = tuple[str, float, int, int]


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


def masked_crc32c(data: bytes) -> int:
    """TFRecord's checksum: CRC-32C (the ``crc32c`` package's native code), rotated right 15 bits, plus a constant."""
    from crc32c import crc32c

    checksum = crc32c(data)
    return ((checksum >> 15 | checksum << 17) + 0xA282EAD8) & 0xFFFFFFFF


def _record(data: bytes) -> bytes:
    """``data`` framed as one TFRecord (length, its checksum, data, its checksum)."""
    header = struct.pack("Q", len(data))
    return b"".join((header, struct.pack("I", masked_crc32c(header)), data, struct.pack("I", masked_crc32c(data))))


# Scalar events are encoded here, not with protobuf's classes: building a Summary.Value per scalar
# costs ~1.2 µs of the writer thread's time under the interpreter lock, which the training thread
# waits for; these bytes cost ~0.3 µs. They are what SerializeToString gives for the same Event
# (tests/tracking/test_tensorboard_encoding.py compares both, byte for byte).
_DOUBLE = struct.Struct("<d")
_FLOAT32 = struct.Struct("<f")
_FLOAT32_INFINITY = {True: _FLOAT32.pack(math.inf), False: _FLOAT32.pack(-math.inf)}
_DOUBLE_ZERO = _DOUBLE.pack(0.0)
_value_prefixes: dict[str, bytes] = {}


def _varint(number: int) -> bytes:
    """A non-negative integer as a protobuf varint."""
    encoded = bytearray()
    while number > 0x7F:
        encoded.append((number & 0x7F) | 0x80)
        number >>= 7
    encoded.append(number)
    return bytes(encoded)


def _value_prefix(tag: str) -> bytes:
    """``Summary.value`` entry up to its float: field 1 (the Value), its tag (field 1), field 2's key."""
    prefix = _value_prefixes.get(tag)
    if prefix is None:
        encoded = tag.encode()  # a lone surrogate raises here, as protobuf raises for it
        tag_field = b"\x0a" + _varint(len(encoded)) + encoded
        prefix = _value_prefixes[tag] = b"\x0a" + _varint(len(tag_field) + 5) + tag_field + b"\x15"
    return prefix


def scalar_event(scalars: list[_Scalar], wall_time: float, step: int) -> bytes:
    """The serialized ``Event(wall_time, step, summary=Summary(value=[(tag, simple_value), ...]))``.

    Like protobuf: a zero ``wall_time`` or ``step`` is left out (proto3 defaults), ``simple_value``
    is a float32 (a finite value beyond its range becomes ±inf, as C's conversion makes it).
    """
    pack = _FLOAT32.pack
    parts = []
    for key, value, _, _ in scalars:
        parts.append(_value_prefix(key))
        try:
            parts.append(pack(value))
        except OverflowError:
            parts.append(_FLOAT32_INFINITY[value > 0])
    summary = b"".join(parts)
    wall = _DOUBLE.pack(wall_time)
    head = b"" if wall == _DOUBLE_ZERO else b"\x09" + wall
    if step:
        head += b"\x10" + _varint(step)
    return head + b"\x2a" + _varint(len(summary)) + summary


class _EventFile:
    """One ``events.out.tfevents.*`` file of ours; a failed write is cut back to the last complete record."""

    def __init__(self, directory: str) -> None:
        from tensorboard.compat.proto.event_pb2 import Event

        stem = f"events.out.tfevents.{int(time.time())}.{socket.gethostname()}.{os.getpid()}"
        for attempt in range(100):
            self.path = os.path.join(directory, stem if attempt == 0 else f"{stem}.{attempt}")
            try:
                self._descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                break
            except FileExistsError:
                continue
        else:
            raise TrackingError(f"{directory}: 100 event file names of this process are taken")
        self.size = 0
        self._cut_needed = False
        # The file_version event must come first; it is sent again with each write until it is on disk.
        self._header: bytes | None = _record(
            Event(wall_time=time.time(), file_version="brain.Event:2").SerializeToString()
        )

    def append(self, records: list[bytes]) -> tuple[int, OSError | None]:
        """Write ``records`` (framed); return how many of them are on disk and the error that stopped the rest."""
        chunks = [self._header, *records] if self._header is not None else records
        data = b"".join(chunks)
        written = 0
        try:
            if self._cut_needed:
                os.ftruncate(self._descriptor, self.size)
                self._cut_needed = False
            view = memoryview(data)
            while written < len(data):
                written += os.pwrite(self._descriptor, view[written:], self.size + written)
        except OSError as error:
            kept, kept_bytes = complete_prefix([len(chunk) for chunk in chunks], written)
            self._commit(kept_bytes, kept)
            if written > kept_bytes:
                try:
                    os.ftruncate(self._descriptor, self.size)
                except OSError:
                    self._cut_needed = True  # the next write cuts it first
            return max(0, kept - (len(chunks) - len(records))), error
        self._commit(len(data), len(chunks))
        return len(records), None

    def _commit(self, size: int, chunks: int) -> None:
        self.size += size
        if chunks and self._header is not None:
            self._header = None

    def sync(self) -> None:
        os.fsync(self._descriptor)

    def close(self) -> None:
        os.close(self._descriptor)


class TensorBoardTracker(RunTracker):
    """Writes each metric as a TensorBoard scalar (tag = key, step, wall time = timestamp).

    Args:
        options: a ``TensorBoardOptions``.
        max_queued: queue bound in items (checked every 1000th item); a full queue makes
            the training thread wait (while the writer thread makes progress).
        stall_seconds: how long ``flush()``, ``close()`` and a full queue wait for a writer
            thread that writes nothing before giving it up.

    Raises:
        TrackingError: tensorboard is not installed (the message holds the pip requirement);
            on first use, ``tensorboard_run_name`` names a directory that does not exist.
    """

    options_class = TensorBoardOptions
    delivers_in_background = True

    def __init__(self, options: TensorBoardOptions, *, max_queued: int = 100_000, stall_seconds: float = 30.0) -> None:
        require_library("TENSORBOARD", "tensorboard")
        self.options = options
        self.max_queued = max_queued
        self.stall_seconds = stall_seconds
        self.run_directory: str | None = None
        self._queue: collections.deque[Any] = collections.deque()
        self._wake = threading.Event()
        self._room = threading.Event()
        self._lock = threading.Lock()
        # Guards sent/dropped and the give-up decision between the writer thread and the callers.
        self._count_lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._file: _EventFile | None = None
        self._closed = False
        self._hparams_session = False  # True once this half logged params: it then ends the HParams session
        self._given_up = False
        self._progress = 0  # bumped by the writer thread after every batch; waits watch it
        # Scalars: offered = sent + dropped + queued; a give-up drops everything not sent.
        self._offered = self.sent = self.dropped = 0
        self._failure_reported = False
        self._first_failure = ""
        # The tracking journal's cursor: advanced with every value counted as sent or dropped.
        self._journal_cursor: JournalCursor | None = None

    def attach_journal_cursor(self, cursor: JournalCursor) -> None:
        self._journal_cursor = cursor

    def _finished(self, values: int) -> None:
        if self._journal_cursor is not None:
            self._journal_cursor.advance(values)

    def _start(self) -> None:
        with self._lock:
            if self._closed:
                raise TrackingError("the TENSORBOARD tracker is closed")
            if self._worker is not None:
                return
            # TensorBoard's protobuf classes are imported by the writer thread, off the training thread.
            lifecycle.prepare_background_import()

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

    def start(self) -> None:
        """Claim (or find) the run directory and start the writer thread; idempotent."""
        if self._worker is None:
            self._start()

    def _accepting(self) -> bool:
        """Start on first use; False once the writer was given up (the caller then drops the values)."""
        if self._given_up and not self._closed:
            return False
        self._start()  # raises once closed
        return True

    def _refuse(self, values: int) -> None:
        with self._count_lock:
            self._offered += values
            self.dropped += values
            self._finished(values)

    def _append(self, item: object) -> None:
        queue = self._queue
        queue.append(item)
        if len(queue) % _WAKE_EVERY == 0:
            self._woken(len(queue))

    def _woken(self, queued: int) -> None:
        """Every 1000th item: wait for room if the queue is full, else wake the writer (and check it lives)."""
        if queued >= self.max_queued:
            self._wait_for_room()
        else:
            self._wake.set()
            worker = self._worker
            if worker is not None and not worker.is_alive():
                self._give_up("the TensorBoard writer thread died")

    def write_metric(self, key: str, value: float, timestamp: int, step: int) -> None:
        if (self._worker is None or self._closed or self._given_up) and not self._accepting():
            self._refuse(1)
            return
        self._offered += 1
        # _append's first lines, inlined on this hot path (once per metric on the training thread).
        queue = self._queue
        queue.append((key, value, timestamp, step))
        if len(queue) % _WAKE_EVERY == 0:
            self._woken(len(queue))

    def write_metrics(self, metrics: Mapping[str, float], timestamp: int, step: int) -> None:
        if (self._worker is None or self._closed or self._given_up) and not self._accepting():
            self._refuse(len(metrics))
            return
        self._offered += len(metrics)
        for key, value in metrics.items():
            self._append((key, value, timestamp, step))

    def write_params(self, params: dict[str, str]) -> None:
        if (self._worker is None or self._closed or self._given_up) and not self._accepting():
            return
        self._hparams_session = True
        self._append(("params", dict(params)))

    def write_tags(self, tags: dict[str, str]) -> None:
        if (self._worker is None or self._closed or self._given_up) and not self._accepting():
            return
        self._append(("tags", dict(tags)))

    def write_artifact(self, path: str, artifact_path: str | None) -> None:
        """Copies the file or directory into ``<run directory>/artifacts/<artifact_path>/``, as CSV does.

        TensorBoard shows no files, but a run's directory then holds what the run produced.
        """
        if (self._worker is None or self._closed or self._given_up) and not self._accepting():
            return
        assert self.run_directory is not None  # set by _accepting()
        target = os.path.join(self.run_directory, "artifacts", artifact_path or "")
        os.makedirs(target, exist_ok=True)
        destination = os.path.join(target, os.path.basename(os.path.normpath(path)))
        if os.path.isdir(path):
            shutil.copytree(path, destination, dirs_exist_ok=True)
        else:
            shutil.copy2(path, destination)

    def _wait_for_room(self) -> None:
        def roomy() -> bool:
            self._room.clear()
            self._wake.set()
            return len(self._queue) < self.max_queued

        self._wait_while_progressing(self._room, roomy, "its queue was full")

    def _wait_while_progressing(self, event: threading.Event, done: Callable[[], bool], waiting_for: str) -> bool:
        """Wait until ``done()`` (``event`` signals changes); give the writer up if it died or stalled.

        Returns:
            True when done; False when the writer was given up (then its values are counted as dropped).
        """
        worker = self._worker
        progress, since = self._progress, time.monotonic()
        while not done():
            if self._given_up:
                return False
            if worker is None or not worker.is_alive():
                self._give_up(f"the TensorBoard writer thread died while {waiting_for}")
                return False
            if self._progress != progress:
                progress, since = self._progress, time.monotonic()
            elif time.monotonic() - since > self.stall_seconds:
                self._give_up(f"the TensorBoard writer wrote nothing for {self.stall_seconds:g} s while {waiting_for}")
                return False
            self._wake.set()
            event.wait(0.05)
        return True

    def flush(self) -> None:
        """Wait until everything logged so far is in the event file on disk (while the writer makes progress)."""
        if self._worker is not None and not self._closed and not self._given_up:
            marker = _Marker(closing=False)
            self._queue.append(marker)
            self._wait_while_progressing(marker.done, marker.done.is_set, "flushing")

    def close(self, status: str = "FINISHED") -> None:
        """Write everything, close the event file and stop the thread, in bounded time; idempotent."""
        end_status(status)
        with self._lock:
            if self._closed:
                return
            self._closed = True
        worker = self._worker
        if worker is not None and not self._given_up:
            if self._hparams_session:
                # The HParams session this half started with its params ends with the run.
                self._queue.append(("_hparams_end", status))
            marker = _Marker(closing=True)
            self._queue.append(marker)
            if self._wait_while_progressing(marker.done, marker.done.is_set, "closing"):
                worker.join(self.stall_seconds)  # it returns right after setting the marker
        lifecycle.unregister_open(self)

    def delivery_report(self) -> DeliveryReport:
        with self._count_lock:
            sent, dropped = self.sent, self.dropped
        note = f"not written: {self._first_failure}" if self._first_failure else ""
        return DeliveryReport(sent=sent, dropped=dropped, location=self.run_directory or "", note=note)

    def _give_up(self, reason: str) -> None:
        """Stop waiting for the writer: every value it has not written is dropped, later ones are refused."""
        with self._count_lock:
            if self._given_up:
                return
            self._given_up = True
            self._queue.clear()
            unwritten = self._offered - self.sent - self.dropped
            self.dropped += unwritten
            self._finished(unwritten)
        self._report_failure(f"{reason}; {unwritten} values not written are dropped, and so are later ones")
        self._room.set()

    def _report_failure(self, message: str) -> None:
        if not self._failure_reported:
            self._failure_reported = True
            self._first_failure = message
            _LOG.error(
                "TENSORBOARD: writing to %s failed: %s (further failures are counted in the closing message)",
                self.run_directory,
                message,
            )

    def _work(self) -> None:
        try:
            while True:
                self._wake.wait(1.0)
                self._wake.clear()
                if self._drain():
                    return
        except BaseException as error:  # the thread ends either way; the waits notice it is gone
            self._report_failure(f"the writer thread died: {type(error).__name__}: {error}")
        finally:
            self._close_file()

    def _drain(self) -> bool:
        """Write what is queued; True once the closing marker was handled (or the writer was given up)."""
        queue = self._queue
        records: list[bytes] = []
        values: list[int] = []
        group: list[_Scalar] = []
        while queue and not self._given_up:
            item = queue.popleft()
            if len(queue) % _WAKE_EVERY == 0:
                self._room.set()
            if type(item) is tuple and len(item) == 4:
                if group and (group[0][2], group[0][3]) != (item[2], item[3]):
                    self._add(functools.partial(self._scalars_record, group), len(group), records, values)
                    group = []
                group.append(item)
                if len(records) >= _EVENTS_PER_WRITE:
                    self._write(records, values)
                continue
            if group:
                self._add(functools.partial(self._scalars_record, group), len(group), records, values)
                group = []
            if isinstance(item, _Marker):
                self._write(records, values)
                self._sync()
                item.done.set()
                if item.closing:
                    return True
            elif item[0] == "_hparams_end":
                self._add(functools.partial(self._hparams_end_record, item[1]), 0, records, values)
            else:
                self._add(functools.partial(self._text_record, *item), 0, records, values)
        if group:
            self._add(functools.partial(self._scalars_record, group), len(group), records, values)
        self._write(records, values)
        self._room.set()
        return self._given_up

    def _add(self, build: Callable[[], bytes], count: int, records: list[bytes], values: list[int]) -> None:
        """Append the record ``build()`` makes (``count`` scalars); one it cannot make costs only its values."""
        try:
            records.append(build())
        except Exception as error:  # e.g. a key protobuf refuses to encode
            with self._count_lock:
                if not self._given_up:
                    self.dropped += count
                    self._finished(count)
            self._report_failure(_describe(error))
            return
        values.append(count)

    @staticmethod
    def _scalars_record(group: list[_Scalar]) -> bytes:
        """Scalars sharing one step and time become one event (one Summary, many values)."""
        _, _, timestamp, step = group[0]
        return _record(scalar_event(group, timestamp / 1000.0, step))

    @staticmethod
    def _text_record(tag: str, mapping: dict[str, str]) -> bytes:
        """A text summary ``params`` or ``tags`` (the Java half's tags); params also start the HParams session."""
        from tensorboard.compat.proto.event_pb2 import Event
        from tensorboard.compat.proto.summary_pb2 import Summary, SummaryMetadata
        from tensorboard.compat.proto.tensor_pb2 import TensorProto
        from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto

        table = markdown_table(mapping).encode()
        text = Summary.Value(
            tag=tag,
            metadata=SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="text")),
            tensor=TensorProto(dtype=7, tensor_shape=TensorShapeProto(), string_val=[table]),  # 7: DT_STRING
        )
        now = time.time()
        values = [text]
        if tag == "params":
            values.append(_hparams_value(_SESSION_START_TAG, session_start_info=_session_start(mapping, now)))
        return _record(Event(wall_time=now, summary=Summary(value=values)).SerializeToString())

    @staticmethod
    def _hparams_end_record(status: str) -> bytes:
        from tensorboard.compat.proto.event_pb2 import Event
        from tensorboard.compat.proto.summary_pb2 import Summary
        from tensorboard.plugins.hparams.plugin_data_pb2 import SessionEndInfo

        now = time.time()
        end = SessionEndInfo(status=1 if status == "FINISHED" else 2, end_time_secs=now)  # STATUS_SUCCESS, _FAILURE
        summary = Summary(value=[_hparams_value(_SESSION_END_TAG, session_end_info=end)])
        return _record(Event(wall_time=now, summary=summary).SerializeToString())

    def _write(self, records: list[bytes], values: list[int]) -> None:
        """Append ``records`` (``values[i]`` scalars each) and count them; empties both lists."""
        if not records:
            return
        written = 0
        failure: Exception | None = None
        try:
            if self._file is None:
                assert self.run_directory is not None  # _start set it before starting this thread
                self._file = _EventFile(self.run_directory)
            written, failure = self._file.append(records)
        except Exception as error:  # the file cannot be created, or a record cannot be built
            failure = error
        with self._count_lock:
            if not self._given_up:  # after a give-up the caller already counted these as dropped
                sent = sum(values[:written])
                self.sent += sent
                self.dropped += sum(values) - sent
                self._finished(sum(values))
            self._progress += 1
        records.clear()
        values.clear()
        if failure is not None:
            self._report_failure(_describe(failure))

    def _sync(self) -> None:
        try:
            if self._file is not None:
                self._file.sync()
        except OSError as error:
            self._report_failure(_describe(error))

    def _close_file(self) -> None:
        file, self._file = self._file, None
        if file is not None:
            try:
                file.close()
            except OSError as error:
                self._report_failure(_describe(error))


# What TensorBoard's Text tab (Markdown) would interpret in a table cell; the Java half's
# TensorBoardTracker.markdownTable escapes the same characters.
_MARKDOWN_SPECIAL = frozenset("\\|*_`[]<>#~")


def _markdown_cell(text: str) -> str:
    escaped = []
    for character in text.replace("\r", ""):
        if character == "\n":
            escaped.append("<br>")
        elif character in _MARKDOWN_SPECIAL:
            escaped.append("\\" + character)
        else:
            escaped.append(character)
    return "".join(escaped)


def markdown_table(entries: Mapping[str, str]) -> str:
    """``| key | value |`` rows sorted by key, special characters escaped, line breaks as ``<br>``."""
    rows = "".join(f"| {_markdown_cell(key)} | {_markdown_cell(value)} |\n" for key, value in sorted(entries.items()))
    return "| key | value |\n|---|---|\n" + rows


_SESSION_START_TAG = "_hparams_/session_start_info"
_SESSION_END_TAG = "_hparams_/session_end_info"
# What reads as a number in the HParams dashboard; the Java half (EventFileWriter.typedValue) has the same rule.
_NUMBER = re.compile(r"[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?")


def hparam_kind(value: str) -> tuple[str, object]:
    """How the HParams dashboard shows a param: ``("bool", True)``, ``("number", 0.1)`` or ``("string", text)``."""
    text = value.strip()
    if text.lower() in ("true", "false"):
        return "bool", text.lower() == "true"
    if _NUMBER.fullmatch(text) and math.isfinite(float(text)):
        return "number", float(text)
    return "string", value


def _session_start(params: Mapping[str, str], start_time: float) -> Any:
    from tensorboard.plugins.hparams.plugin_data_pb2 import SessionStartInfo

    start = SessionStartInfo(start_time_secs=start_time)
    for key, value in params.items():
        kind, typed = hparam_kind(value)
        if kind == "bool":
            start.hparams[key].bool_value = bool(typed)
        elif kind == "number":
            start.hparams[key].number_value = float(typed)  # type: ignore[arg-type]
        else:
            start.hparams[key].string_value = str(typed)
    return start


def _hparams_value(tag: str, **data: Any) -> Any:
    """A summary value of TensorBoard's ``hparams`` plugin, as tensorboardX's ``hparams()`` writes it (version 0)."""
    from tensorboard.compat.proto.summary_pb2 import Summary, SummaryMetadata
    from tensorboard.plugins.hparams.plugin_data_pb2 import HParamsPluginData

    content = HParamsPluginData(version=0, **data).SerializeToString()
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="hparams", content=content))
    return Summary.Value(tag=tag, metadata=metadata)


def _describe(error: Exception) -> str:
    return describe_os_error(error) if isinstance(error, OSError) else f"{type(error).__name__}: {error}"


register_tracker("TENSORBOARD", TensorBoardTracker)
