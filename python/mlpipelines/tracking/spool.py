"""The MLflow spool: what could not be delivered, kept on disk as JSON Lines.

One spool file per tracker process, ``<spool_dir>/<run id or new-run>-<pid>-<ms>.jsonl``.
Line 1 is a header naming the tracking URI (without credentials), the run and
the experiment, and for a run the tracker creates itself the run's planned
``start_time`` (ms) and ``run_name``, so that a run created by replay keeps them.
Every further line is one entry with a sequence number ``seq``:

* ``{"seq": 3, "metrics": [[key, value, timestamp, step], ...], "params": {...}, "tags": {...}}``
* ``{"seq": 4, "artifact": "/abs/path", "artifact_path": "plots"}``
* ``{"seq": 5, "run_id": "..."}`` the run was created after earlier entries were spooled
* ``{"seq": 6, "end_run": "FINISHED", "end_time": 1700000000000}``

Progress is recorded in ``<spool file>.progress`` beside it, by the tracker that
wrote the spool (it delivers its own spool as soon as the store answers again)
and by ``replay``: one JSON line per finished entry, ``{"delivered": 3}``, or
``{"skipped": 4, "rejected": 1, "reason": "..."}`` when the store rejected the
entry or some of its items (those are lost, the rest was delivered), and the id
of a run replay had to create (``{"run_id": "..."}``). Each line is appended and
fsynced before the next entry is sent, so a second replay sends nothing again.
Every line is flushed and fsynced when written: a spool exists because something
already went wrong.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

from .errors import TrackingError

SPOOL_FORMAT = "mlpipelines-spool/1"


def _append_line(path: str, record: dict[str, Any]) -> None:
    line = json.dumps(record, ensure_ascii=False) + "\n"
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, line.encode("utf-8"))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class SpoolWriter:
    """Appends spool entries for one tracker; the file is created with the first entry.

    Args:
        directory: the spool directory (created when needed).
        header: the header fields (tracking_uri, run_id, experiment_id, experiment_name).
        file_stem: the file name without ``.jsonl``.
    """

    def __init__(self, directory: str, header: dict[str, Any], file_stem: str) -> None:
        self.directory = os.path.abspath(directory)
        self.path = os.path.join(self.directory, file_stem + ".jsonl")
        self._header = {"spool": SPOOL_FORMAT, **header}
        self._sequence = 0
        self._lock = threading.Lock()

    def append(self, entry: dict[str, Any]) -> int:
        """Append ``entry`` (a dict) with the next sequence number; return that number.

        Raises:
            OSError: the directory or file cannot be written (the caller counts the loss).
        """
        with self._lock:
            if self._sequence == 0:
                os.makedirs(self.directory, exist_ok=True)
                _append_line(self.path, self._header)
            self._sequence += 1
            _append_line(self.path, {"seq": self._sequence, **entry})
            return self._sequence

    def mark_delivered(self, sequence: int) -> None:
        """Durably record that entry ``sequence`` was delivered (replay will not send it)."""
        _append_line(self.path + ".progress", {"delivered": sequence})

    def mark_skipped(self, sequence: int, rejected: int, reason: str) -> None:
        """Durably record that the store rejected ``rejected`` items of entry ``sequence``."""
        _append_line(self.path + ".progress", {"skipped": sequence, "rejected": rejected, "reason": reason})

    @property
    def used(self) -> bool:
        """True once something was spooled."""
        return self._sequence > 0


class SpoolFile:
    """A spool file read back for replay, with its progress.

    Attributes:
        path: the ``.jsonl`` file.
        header: the header mapping.
        entries: the entries in order.
        delivered: the set of delivered ``seq`` numbers (from the progress file).
        skipped: ``seq`` -> items the store rejected, for entries finished with losses.
        created_run_id: a run that an earlier replay created for this file, or None.

    Raises:
        TrackingError: a line is not JSON or the header is not a spool header
            (the message names the file and line).
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.progress_path = path + ".progress"
        lines = self._read_json_lines(path)
        if not lines or lines[0][1].get("spool") != SPOOL_FORMAT:
            raise TrackingError(
                f'{path}:1: not an mlpipelines spool file (expected a header with "spool": "{SPOOL_FORMAT}")'
            )
        self.header = lines[0][1]
        self.entries = []
        for number, record in lines[1:]:
            if not isinstance(record.get("seq"), int):
                raise TrackingError(f'{path}:{number}: entry without an integer "seq"')
            self.entries.append(record)
        self.delivered: set[int] = set()
        self.skipped: dict[int, int] = {}
        self.created_run_id = None
        for _, record in self._read_json_lines(self.progress_path, missing_ok=True):
            if "delivered" in record:
                self.delivered.add(record["delivered"])
            if "skipped" in record:
                self.skipped[record["skipped"]] = int(record.get("rejected", 0))
            if "run_id" in record:
                self.created_run_id = record["run_id"]

    @staticmethod
    def _read_json_lines(path: str, missing_ok: bool = False) -> list[tuple[int, dict[str, Any]]]:
        records = []
        try:
            with open(path, encoding="utf-8") as source:
                for number, line in enumerate(source, start=1):
                    if not line.strip():
                        continue
                    if not line.endswith("\n"):
                        break  # a line cut short by a crash was never completely written
                    try:
                        record = json.loads(line)
                    except json.JSONDecodeError as error:
                        raise TrackingError(f"{path}:{number}: not a JSON line: {error}") from None
                    if not isinstance(record, dict):
                        raise TrackingError(f"{path}:{number}: expected a JSON object")
                    records.append((number, record))
        except FileNotFoundError:
            if missing_ok:
                return []
            raise TrackingError(f"{path}: no such spool file") from None
        return records

    def run_id(self) -> str | None:
        """The run of the entries: header, a later ``run_id`` entry, or the one replay created."""
        run_id = self.header.get("run_id")
        for entry in self.entries:
            run_id = entry.get("run_id", run_id)
        return run_id or self.created_run_id

    def mark_delivered(self, sequence: int) -> None:
        """Durably record that entry ``sequence`` was delivered."""
        _append_line(self.progress_path, {"delivered": sequence})
        self.delivered.add(sequence)

    def mark_skipped(self, sequence: int, rejected: int, reason: str) -> None:
        """Durably record that the store rejected ``rejected`` items of entry ``sequence``."""
        _append_line(self.progress_path, {"skipped": sequence, "rejected": rejected, "reason": reason})
        self.skipped[sequence] = rejected

    def finished(self, sequence: int) -> bool:
        """True when entry ``sequence`` was delivered or skipped before."""
        return sequence in self.delivered or sequence in self.skipped

    def record_created_run(self, run_id: str) -> None:
        """Durably record the run created for this file's entries."""
        _append_line(self.progress_path, {"run_id": run_id})
        self.created_run_id = run_id


def find_spool_files(path: str) -> list[str]:
    """Return the spool files at ``path`` (a ``.jsonl`` file or a directory searched recursively).

    Raises:
        TrackingError: ``path`` does not exist.
    """
    if os.path.isfile(path):
        return [path]
    if not os.path.isdir(path):
        raise TrackingError(f"{path}: no such spool file or directory")
    found: list[str] = []
    for root, _, files in os.walk(path):
        found.extend(os.path.join(root, name) for name in files if name.endswith(".jsonl"))
    return sorted(found)
