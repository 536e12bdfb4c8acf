"""``MultiBackendTracker``: one tracker that writes to every enabled backend."""

from __future__ import annotations

import dataclasses
import logging
import sys
import threading
from collections.abc import Callable, Mapping

from . import lifecycle, ranks
from .base import DeliveryReport, RunTracker, end_status
from .errors import TrackingError
from .journal import JournalCursor, MetricJournal
from .parser import parse_backend_names
from .registry import tracker_class

_LOG = logging.getLogger("mlpipelines.tracking")
# Set while a call is fanned out, so that SIGTERM/SIGINT wait for the loop (see lifecycle).
_FAN_OUT = lifecycle.FAN_OUT


class MultiBackendTracker(RunTracker):
    """Fans every call out to the backends named in ``args.tracking_backends``.

    Values are validated once, here; each backend then receives clean values. A
    backend that raises is reported once per (backend, call) on the
    ``mlpipelines.tracking`` logger, skipped for that call, and counted; the other
    backends and the training go on. ``close()`` prints one closing line per backend
    to stderr: sent, retried, spooled, dropped.

    Args:
        args: the namespace from ``build_parser().parse_args()``, or any object with
            the same attributes; missing options take their defaults. ``tracking_backends``
            may be a tuple of names or a comma-separated string (any case); no name at
            all (``""``, ``()``) turns tracking off: every call is a no-op and ``close()``
            prints nothing.

    Raises:
        TrackingError: an unknown backend name (the message lists the registered ones),
            or a backend that cannot be built (e.g. its library is not installed).

    Example::

        args = build_parser().parse_args()
        with MultiBackendTracker(args) as tracker:
            tracker.log_metrics({"loss": 0.3, "acc": 0.9}, step=12)
    """

    def __init__(self, args: object) -> None:
        self.backends: list[tuple[str, RunTracker]] = [
            (name, tracker_class(name).from_namespace(args))
            for name in parse_backend_names(getattr(args, "tracking_backends", None))
            if ranks.logs_here(args)  # under torchrun only one rank logs: see ranks
        ]
        self._failures: dict[tuple[str, str], int] = {}
        self._failure_lock = threading.Lock()
        self._offered = 0
        self._dropped = {name: 0 for name, _ in self.backends}
        self._closed = False
        # With tracking off there is nothing to close at exit.
        self._registered = not self.backends
        self.journal_path: str | None = getattr(args, "tracking_journal", None) or None
        self._journal: MetricJournal | None = None
        # Per backend, in call order: (name, backend, index of the cursor word the fan-out sets or -1,
        # cursor the backend advances itself or None).
        self._journaled: list[tuple[str, RunTracker, int, JournalCursor | None]] = []
        self._cursor_words: memoryview | None = None

    @property
    def backend_names(self) -> list[str]:
        """The enabled backend names, in the order they are called."""
        return [name for name, _ in self.backends]

    def _failed(self, name: str, call: str, error: Exception, items: int) -> None:
        with self._failure_lock:
            key = (name, call)
            self._failures[key] = self._failures.get(key, 0) + 1
            self._dropped[name] += items
            first = self._failures[key] == 1
        if first:
            _LOG.error(
                "tracking backend %s failed in %s and was skipped for this call: %s: %s "
                "(further failures of %s.%s are counted and reported at close)",
                name,
                call,
                type(error).__name__,
                error,
                name,
                call,
            )

    def _ensure_registered(self) -> None:
        if not self._registered:
            self._registered = True
            lifecycle.register_open(self)
            if self.journal_path is not None and self.backends:
                self._open_journal(self.journal_path)

    def _open_journal(self, path: str) -> None:
        try:
            journal = MetricJournal(path, self.backend_names)
        except TrackingError as error:
            _LOG.error("%s; metrics are logged without a journal (a killed script may lose its last ones)", error)
            return
        for slot, (name, backend) in enumerate(self.backends):
            cursor = journal.cursor(slot)
            words, index = cursor.store
            self._cursor_words = words
            if backend.delivers_in_background:
                backend.attach_journal_cursor(cursor)
                self._journaled.append((name, backend, -1, cursor))
            else:
                self._journaled.append((name, backend, index, None))
        self._journal = journal

    def _journal_failed(self, error: Exception) -> None:
        # The synchronous backends get every journaled record below; the background ones count on past it.
        words, journal = self._cursor_words, self._journal
        if words is not None and journal is not None:
            for _, _, cursor_word, _ in self._journaled:
                if cursor_word >= 0:
                    words[cursor_word] = journal.count
        _LOG.error(
            "the tracking journal %s failed: %s; metrics are logged without it from now on",
            self.journal_path,
            error,
        )
        self._journal = None

    def _write_journaled(self, journal: MetricJournal, metrics: Mapping[str, float], timestamp: int, step: int) -> None:
        try:
            position = journal.append_many(metrics, timestamp, step)
        except (OSError, TrackingError, TypeError, ValueError) as error:
            self._journal_failed(error)
            self._write_plain(metrics, timestamp, step)
            return
        items = len(metrics)
        words = self._cursor_words
        assert words is not None  # set with the journal
        for name, backend, cursor_word, advance_cursor in self._journaled:
            try:
                backend.write_metrics(metrics, timestamp, step)
            except Exception as error:
                self._failed(name, "log_metrics", error, items)
                if advance_cursor is not None:
                    advance_cursor.advance(items)  # it will never deliver these
            # A kill between the write above and this store repeats this call's metrics at recovery.
            if cursor_word >= 0:
                words[cursor_word] = position

    def _write_plain(self, metrics: Mapping[str, float], timestamp: int, step: int) -> None:
        for name, backend in self.backends:
            try:
                backend.write_metrics(metrics, timestamp, step)
            except Exception as error:
                self._failed(name, "log_metrics", error, len(metrics))

    def write_metric(self, key: str, value: float, timestamp: int, step: int) -> None:
        if not self._registered:
            self._ensure_registered()
        self._offered += 1
        guard = _FAN_OUT
        guard.active = True
        try:
            journal = self._journal
            if journal is None:
                for name, backend in self.backends:
                    try:
                        backend.write_metric(key, value, timestamp, step)
                    except Exception as error:
                        self._failed(name, "log_metric", error, 1)
                return
            # The journaled hot path, inline (measured by bench/bench_logging.py).
            try:
                position = journal.append(key, value, timestamp, step)
            except (OSError, TrackingError, TypeError, ValueError) as error:
                self._journal_failed(error)
                self._write_plain({key: value}, timestamp, step)
                return
            words = self._cursor_words
            for name, backend, cursor_word, advance_cursor in self._journaled:
                try:
                    backend.write_metric(key, value, timestamp, step)
                except Exception as error:
                    self._failed(name, "log_metric", error, 1)
                    if advance_cursor is not None:
                        advance_cursor.advance(1)  # it will never deliver this one
                # A kill between the write above and this store repeats this metric at recovery.
                if cursor_word >= 0:
                    words[cursor_word] = position  # type: ignore[index]  # set with the journal
        finally:
            guard.active = False
            if guard.deferred is not None:
                guard.run_deferred()

    def write_metrics(self, metrics: Mapping[str, float], timestamp: int, step: int) -> None:
        if not self._registered:
            self._ensure_registered()
        self._offered += len(metrics)
        guard = _FAN_OUT
        guard.active = True
        try:
            journal = self._journal
            if journal is not None:
                self._write_journaled(journal, metrics, timestamp, step)
            else:
                self._write_plain(metrics, timestamp, step)
        finally:
            guard.active = False
            if guard.deferred is not None:
                guard.run_deferred()

    def _fan_out(self, call: str, items: int, invoke: Callable[[RunTracker], object]) -> None:
        self._ensure_registered()
        guard = _FAN_OUT
        outermost = not guard.active  # close() at a deferred SIGTERM runs inside a fan-out's finally
        guard.active = True
        try:
            for name, backend in self.backends:
                try:
                    invoke(backend)
                except Exception as error:
                    self._failed(name, call, error, items)
        finally:
            if outermost:
                guard.active = False
                if guard.deferred is not None:
                    guard.run_deferred()

    def write_params(self, params: dict[str, str]) -> None:
        self._fan_out("log_params", 0, lambda backend: backend.write_params(params))

    def write_tags(self, tags: dict[str, str]) -> None:
        self._fan_out("set_tags", 0, lambda backend: backend.write_tags(tags))

    def write_artifact(self, path: str, artifact_path: str | None) -> None:
        self._fan_out("log_artifact", 0, lambda backend: backend.write_artifact(path, artifact_path))

    def start(self) -> None:
        """Get every backend ready to log (failures reported, not raised; see ``RunTracker.start``)."""
        self._fan_out("start", 0, lambda backend: backend.start())

    def flush(self) -> None:
        """Make every backend deliver what it buffers (failures reported, not raised)."""
        self._fan_out("flush", 0, lambda backend: backend.flush())

    def close(self, status: str = "FINISHED") -> None:
        """Close every backend with ``status`` and print the closing message; idempotent.

        Args:
            status: FINISHED, FAILED or KILLED (ends the run where a backend owns it).

        Raises:
            ValueError: ``status`` is not one of those.
        """
        status = end_status(status)
        if self._closed:
            return
        self._closed = True
        self._fan_out("close", 0, lambda backend: backend.close(status))
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        lifecycle.unregister_open(self)
        for line in self.closing_lines():
            print(line, file=sys.stderr, flush=True)

    def delivery_reports(self) -> dict[str, DeliveryReport]:
        """Return {backend name: DeliveryReport}; failures counted here are added as dropped."""
        reports = {}
        for name, backend in self.backends:
            try:
                report = backend.delivery_report()
            except Exception as error:
                report = DeliveryReport(note=f"no report: {error}")
            if report is None:
                report = DeliveryReport(sent=self._offered - self._dropped[name])
            reports[name] = dataclasses.replace(report, dropped=report.dropped + self._dropped[name])
        return reports

    def closing_lines(self) -> list[str]:
        """The closing message: one line per backend (what ``close()`` prints to stderr)."""
        lines = []
        for name, report in self.delivery_reports().items():
            line = (
                f"mlpipelines.tracking: {name}: sent {report.sent}, retried {report.retried}, "
                f"spooled {report.spooled}, dropped {report.dropped}"
            )
            if report.location:
                line += f"; {report.location}"
            if report.note:
                line += f"; {report.note}"
            if report.dropped:
                line += " -- DATA WAS LOST, see the errors above"
            lines.append(line)
        failed_calls = {key: count for key, count in self._failures.items() if count > 1}
        for (name, call), count in sorted(failed_calls.items()):
            lines.append(f"mlpipelines.tracking: {name}: {call} failed {count} times")
        return lines
