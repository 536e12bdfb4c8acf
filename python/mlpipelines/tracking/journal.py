"""The metric journal: every logged metric, durable the moment ``log_metric`` returns.

``MultiBackendTracker`` appends each validated metric to a journal file before it
hands it to the backends (``--tracking_journal PATH``). The file is memory-mapped:
an append is one ``struct.pack_into`` into a shared page plus one store of the
record count, no system call, and the kernel keeps the pages when the process is
killed (SIGKILL, the OOM killer, ``os._exit``) -- only a crash of the machine
itself loses them. Each backend owns a *delivered cursor* in the journal's header:
the number of journal records it has finished with (written, sent, spooled, or
dropped by a store that refused them). ``python -m mlpipelines.tracking.recover``
delivers, per backend, the records past its cursor (see ``recover.py``).

File layout (native byte order; the journal is read back on the machine that wrote it):

* header, 4096 bytes: magic ``MLPJRNL1``; int64 backend count at byte 16; int64
  cursors from byte 64 (slot i = backend i); the backend names from byte 1024 as a
  JSON list, NUL padded.
* records from byte 4096, 32 bytes each: step int64, timestamp int64 (ms), value
  float64, key id uint32 (1-based line number in the side file), 4 bytes padding.
  The file grows in allocated (never sparse) chunks of 1 MiB, zero-filled.
* ``PATH.keys``: one key per line (validated keys never contain a newline), appended
  with one ``os.write`` when a key is first seen, before any record refers to it.

A record is complete once its key id is non-zero: ``struct`` stores the fields in
order, the key id last, as one aligned 4-byte store. So a kill in the middle of an
append leaves at most that one record unfinished (its ``log_metric`` had not
returned), and a reader skips it. Appends take no lock: each gets its record number
from ``itertools.count`` (atomic), so threads logging at once never share a record.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import mmap
import os
import struct
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from .errors import TrackingError

MAGIC = b"MLPJRNL1"
HEADER_BYTES = 4096
_BACKENDS_INDEX = 2  # in int64 words of the header
_CURSORS_INDEX = 8
_NAMES_OFFSET = 1024
MAX_BACKENDS = (_NAMES_OFFSET // 8) - _CURSORS_INDEX
RECORD = struct.Struct("=qqdI4x")
_KEY_ID_OFFSET = 24
_RECORD_SHIFT = 5  # RECORD.size == 1 << _RECORD_SHIFT
CHUNK_BYTES = 1 << 20
_CHUNK_SHIFT = 15  # records per chunk == 1 << _CHUNK_SHIFT
_CHUNK_MASK = (1 << _CHUNK_SHIFT) - 1
assert RECORD.size == 1 << _RECORD_SHIFT and RECORD.size << _CHUNK_SHIFT == CHUNK_BYTES
assert (_CHUNK_SHIFT, _RECORD_SHIFT, _CHUNK_MASK) == (15, 5, 0x7FFF)  # MetricJournal.append spells them out


def keys_path(path: str) -> str:
    """The side file holding the journal's key names."""
    return path + ".keys"


class JournalCursor:
    """One backend's delivered cursor: how many journal records it has finished with.

    A backend that delivers in the background (``RunTracker.delivers_in_background``)
    receives one through ``attach_journal_cursor`` and calls ``advance`` when metrics
    are durable in its store (or dropped for good), in the order it was given them.
    """

    def __init__(self, words: memoryview, slot: int, lock: threading.Lock) -> None:
        self._words = words
        self._index = _CURSORS_INDEX + slot
        self._lock = lock

    @property
    def position(self) -> int:
        """The number of records this backend has finished with."""
        return int(self._words[self._index])

    def advance(self, count: int) -> None:
        """Mark the next ``count`` records as finished (safe from any thread)."""
        if count:
            # ValueError: the journal is closed (a writer thread that outlived close()).
            with self._lock, contextlib.suppress(ValueError):
                self._words[self._index] += count

    def set(self, position: int) -> None:
        """Set the cursor (the training thread, for backends that write synchronously)."""
        self._words[self._index] = position

    @property
    def store(self) -> tuple[memoryview, int]:
        """(header words, this cursor's index): for the fan-out's hot path, ``words[index] = position``."""
        return self._words, self._index


class MetricJournal:
    """An append-only, memory-mapped journal of metrics, with one delivered cursor per backend.

    Args:
        path: the journal file; created, or replaced if it exists (one journal per run).
        backend_names: the backends whose delivery is tracked, in cursor-slot order.

    Raises:
        TrackingError: the file cannot be created (the message names it and the reason),
            or there are more than ``MAX_BACKENDS`` backends.
    """

    def __init__(self, path: str, backend_names: Sequence[str]) -> None:
        if len(backend_names) > MAX_BACKENDS:
            raise TrackingError(f"a tracking journal holds at most {MAX_BACKENDS} backends, not {len(backend_names)}")
        names = json.dumps(list(backend_names)).encode()
        if len(names) > HEADER_BYTES - _NAMES_OFFSET:
            raise TrackingError("the backend names do not fit into the tracking journal's header")
        self.path = os.path.abspath(path)
        try:
            directory = os.path.dirname(self.path)
            os.makedirs(directory, exist_ok=True)
            self._keys_descriptor = os.open(
                keys_path(self.path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644
            )
            self._descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
            # Allocated, not sparse: a full disk fails here, never as SIGBUS on a store into the map.
            os.posix_fallocate(self._descriptor, 0, HEADER_BYTES + CHUNK_BYTES)
            self._header = mmap.mmap(self._descriptor, HEADER_BYTES)
        except OSError as error:
            raise TrackingError(f"cannot create the tracking journal {self.path}: {error.strerror}") from error
        self._header[_NAMES_OFFSET : _NAMES_OFFSET + len(names)] = names
        self._words = memoryview(self._header).cast("q")
        self._words[_BACKENDS_INDEX] = len(backend_names)
        self._header[:8] = MAGIC
        # One map per chunk; a chunk two behind the newest is unmapped (None), no writer is that far behind.
        self._maps: list[mmap.mmap | None] = [mmap.mmap(self._descriptor, CHUNK_BYTES, offset=HEADER_BYTES)]
        self._indexes = itertools.count()
        self._position = 0
        self._pack_into = RECORD.pack_into
        self._key_ids: dict[str, int] = {}
        self._lock = threading.Lock()  # new keys and new chunks only
        self._cursor_lock = threading.Lock()
        self.backend_names = tuple(backend_names)

    @property
    def count(self) -> int:
        """The number of records appended (threads appending at once may make it lag by their records)."""
        return self._position

    def cursor(self, slot: int) -> JournalCursor:
        """The delivered cursor of backend number ``slot`` (its position in ``backend_names``)."""
        return JournalCursor(self._words, slot, self._cursor_lock)

    def _key_id(self, key: str) -> int:
        with self._lock:
            key_id = self._key_ids.get(key)
            if key_id is None:
                key_id = len(self._key_ids) + 1
                line = key.encode() + b"\n"
                if os.write(self._keys_descriptor, line) != len(line):
                    raise TrackingError(f"cannot append key {key!r} to {keys_path(self.path)}: short write")
                self._key_ids[key] = key_id
            return key_id

    def _map(self, chunk: int) -> mmap.mmap:
        """The map of chunk number ``chunk``, allocating and mapping the chunks up to it."""
        with self._lock:
            maps = self._maps
            while len(maps) <= chunk:
                offset = HEADER_BYTES + len(maps) * CHUNK_BYTES
                try:
                    os.posix_fallocate(self._descriptor, offset, CHUNK_BYTES)
                except OSError as error:
                    raise TrackingError(f"cannot grow the tracking journal {self.path}: {error.strerror}") from error
                maps.append(mmap.mmap(self._descriptor, CHUNK_BYTES, offset=offset))
                stale = len(maps) - 3
                stale_map = maps[stale] if stale >= 0 else None
                if stale_map is not None:
                    try:
                        stale_map.close()
                        maps[stale] = None
                    except BufferError:
                        pass  # a thread is writing into it this instant; it stays mapped
            target = maps[chunk]
            if target is None:
                raise TrackingError(f"record {chunk << _CHUNK_SHIFT} of {self.path} is in a chunk no longer mapped")
            return target

    def append(self, key: str, value: float, timestamp: int, step: int) -> int:
        """Append one metric; return its record number + 1 (the hot path: no lock, no system call)."""
        key_id = self._key_ids.get(key) or self._key_id(key)
        index = next(self._indexes)
        # Literals, not the module's names, on this path: 15 is _CHUNK_SHIFT, 5 is _RECORD_SHIFT (asserted above).
        chunk = index >> 15
        maps = self._maps
        target = maps[chunk] if chunk < len(maps) else self._map(chunk)
        # target is None only for a chunk already unmapped (a thread two chunks behind): TypeError.
        self._pack_into(target, (index & 0x7FFF) << 5, step, timestamp, value, key_id)  # type: ignore[arg-type]
        position = self._position = index + 1
        return position

    def append_many(self, metrics: Mapping[str, float], timestamp: int, step: int) -> int:
        """Append metrics sharing one step and time; return the last one's record number + 1."""
        # append's body, inlined: one call per step instead of one per metric.
        key_ids = self._key_ids
        indexes = self._indexes
        maps = self._maps
        pack_into = self._pack_into
        index = -1
        for key, value in metrics.items():
            key_id = key_ids.get(key) or self._key_id(key)
            index = next(indexes)
            chunk = index >> 15
            target = maps[chunk] if chunk < len(maps) else self._map(chunk)
            pack_into(target, (index & 0x7FFF) << 5, step, timestamp, value, key_id)  # type: ignore[arg-type]
            self._position = index + 1
        return index + 1

    def close(self) -> None:
        """Release the mapping and descriptors; the file stays (it is the record). Idempotent."""
        if self._descriptor < 0:
            return
        self._words.release()
        self._header.close()
        for chunk_map in self._maps:
            if chunk_map is not None:
                chunk_map.close()
        os.close(self._descriptor)
        os.close(self._keys_descriptor)
        self._descriptor = -1


@dataclass(frozen=True)
class JournalRecord:
    """One metric read back from a journal."""

    key: str
    value: float
    timestamp: int
    step: int


class JournalReader:
    """Reads a journal written by ``MetricJournal`` (also while or after its writer died).

    Args:
        path: the journal file.

    Raises:
        TrackingError: the file is missing, is not a journal, or its key file lacks a key
            a record refers to (each message names the file).
    """

    def __init__(self, path: str) -> None:
        self.path = os.path.abspath(path)
        try:
            with open(self.path, "rb") as file:
                data = file.read()
        except OSError as error:
            raise TrackingError(f"cannot read the tracking journal {self.path}: {error.strerror}") from error
        if len(data) < HEADER_BYTES or data[:8] != MAGIC:
            raise TrackingError(f"{self.path} is not a tracking journal (expected the magic bytes {MAGIC!r})")
        self._data = data
        words = memoryview(data[:HEADER_BYTES]).cast("q")
        available = (len(data) - HEADER_BYTES) // RECORD.size
        # The records end after the last complete one (non-zero key id); the rest is zero-filled.
        key_ids = memoryview(data).cast("I")[(HEADER_BYTES + _KEY_ID_OFFSET) // 4 :: RECORD.size // 4]
        count = available
        while count and not key_ids[count - 1]:
            count -= 1
        self._key_id_column = key_ids
        self.count = count
        backends = int(words[_BACKENDS_INDEX])
        names_bytes = data[_NAMES_OFFSET:HEADER_BYTES].rstrip(b"\0")
        try:
            names = json.loads(names_bytes.decode()) if names_bytes else []
        except ValueError as error:
            raise TrackingError(f"{self.path}: the backend names in the header are unreadable: {error}") from None
        if not isinstance(names, list) or len(names) != backends:
            raise TrackingError(f"{self.path}: the header names {names!r}, expected {backends} backend name(s)")
        self.backend_names: tuple[str, ...] = tuple(str(name) for name in names)
        self.cursors = {name: int(words[_CURSORS_INDEX + slot]) for slot, name in enumerate(self.backend_names)}
        try:
            with open(keys_path(self.path), "rb") as file:
                self._keys = [line.decode() for line in file.read().split(b"\n")[:-1]]
        except OSError as error:
            raise TrackingError(f"cannot read {keys_path(self.path)}: {error.strerror}") from error

    def undelivered(self, backend: str) -> int:
        """How many records ``backend`` has not finished with."""
        return max(0, self.count - self.cursors.get(backend, 0))

    def records(self, start: int = 0) -> Iterator[JournalRecord]:
        """The records from number ``start`` (0-based) to the end, in logging order."""
        data = self._data
        for index in range(start, self.count):
            step, timestamp, value, key_id = RECORD.unpack_from(data, HEADER_BYTES + index * RECORD.size)
            if key_id == 0:
                continue  # unfinished: a thread was killed while it appended it (its call had not returned)
            if not key_id <= len(self._keys):
                raise TrackingError(
                    f"{self.path}: record {index} refers to key {key_id}, but {keys_path(self.path)} "
                    f"holds {len(self._keys)} key(s)"
                )
            yield JournalRecord(self._keys[key_id - 1], value, timestamp, step)


def write_cursor(path: str, backend: str, position: int) -> None:
    """Set ``backend``'s delivered cursor in the journal at ``path`` (used by recovery).

    Raises:
        TrackingError: the journal cannot be opened or does not track ``backend``.
    """
    reader = JournalReader(path)
    if backend not in reader.backend_names:
        raise TrackingError(f"{path}: the journal tracks {', '.join(reader.backend_names)}, not {backend}")
    slot = reader.backend_names.index(backend)
    with open(path, "r+b") as file:
        file.seek((_CURSORS_INDEX + slot) * 8)
        file.write(struct.pack("=q", position))
