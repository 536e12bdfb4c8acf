"""``MultiBackendTracker``: one tracker that writes to every enabled backend."""

import dataclasses
import logging
import sys
import threading

from . import lifecycle
from .base import DeliveryReport, RunTracker, end_status
from .errors import TrackingError
from .parser import DEFAULT_BACKENDS, parse_backend_names
from .registry import tracker_class

_LOG = logging.getLogger("mlpipelines.tracking")


def _backend_names(value):
    if value is None:
        value = DEFAULT_BACKENDS
    if isinstance(value, str):
        value = value.split(",")
    names = []
    for item in value:
        name = str(item).strip().upper()
        if name:
            tracker_class(name)  # raises TrackingError listing the registered names
            if name not in names:
                names.append(name)
    if not names:
        raise TrackingError("no tracking backend named in tracking_backends")
    return names


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
            may be a tuple of names or a comma-separated string (any case).

    Raises:
        TrackingError: an unknown backend name (the message lists the registered ones),
            or a backend that cannot be built (e.g. its library is not installed).

    Example::

        args = build_parser().parse_args()
        with MultiBackendTracker(args) as tracker:
            tracker.log_metrics({"loss": 0.3, "acc": 0.9}, step=12)
    """

    def __init__(self, args):
        self.backends = []
        for name in _backend_names(getattr(args, "tracking_backends", None)):
            cls = tracker_class(name)
            options = cls.options_class(**{
                option.name: getattr(args, option.name)
                for option in dataclasses.fields(cls.options_class) if hasattr(args, option.name)})
            self.backends.append((name, cls(options)))
        self._failures = {}
        self._failure_lock = threading.Lock()
        self._offered = 0
        self._dropped = {name: 0 for name, _ in self.backends}
        self._closed = False
        self._registered = False

    @property
    def backend_names(self):
        """The enabled backend names, in the order they are called."""
        return [name for name, _ in self.backends]

    def _failed(self, name, call, error, items):
        with self._failure_lock:
            key = (name, call)
            self._failures[key] = self._failures.get(key, 0) + 1
            self._dropped[name] += items
            first = self._failures[key] == 1
        if first:
            _LOG.error("tracking backend %s failed in %s and was skipped for this call: %s: %s "
                       "(further failures of %s.%s are counted and reported at close)",
                       name, call, type(error).__name__, error, name, call)

    def _ensure_registered(self):
        if not self._registered:
            self._registered = True
            lifecycle.register_open(self)

    def write_metric(self, key, value, timestamp, step):
        if not self._registered:
            self._ensure_registered()
        self._offered += 1
        for name, backend in self.backends:
            try:
                backend.write_metric(key, value, timestamp, step)
            except Exception as error:
                self._failed(name, "log_metric", error, 1)

    def write_metrics(self, metrics, timestamp, step):
        if not self._registered:
            self._ensure_registered()
        self._offered += len(metrics)
        for name, backend in self.backends:
            try:
                backend.write_metrics(metrics, timestamp, step)
            except Exception as error:
                self._failed(name, "log_metrics", error, len(metrics))

    def _fan_out(self, call, items, invoke):
        self._ensure_registered()
        for name, backend in self.backends:
            try:
                invoke(backend)
            except Exception as error:
                self._failed(name, call, error, items)

    def write_params(self, params):
        self._fan_out("log_params", 0, lambda backend: backend.write_params(params))

    def write_tags(self, tags):
        self._fan_out("set_tags", 0, lambda backend: backend.write_tags(tags))

    def write_artifact(self, path, artifact_path):
        self._fan_out("log_artifact", 0,
                      lambda backend: backend.write_artifact(path, artifact_path))

    def flush(self):
        """Make every backend deliver what it buffers (failures reported, not raised)."""
        self._fan_out("flush", 0, lambda backend: backend.flush())

    def close(self, status="FINISHED"):
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
        lifecycle.unregister_open(self)
        for line in self.closing_lines():
            print(line, file=sys.stderr, flush=True)

    def delivery_reports(self):
        """Return {backend name: DeliveryReport}; failures counted here are added as dropped."""
        reports = {}
        for name, backend in self.backends:
            try:
                report = backend.delivery_report()
            except Exception as error:
                report = DeliveryReport(note=f"no report: {error}")
            if report is None:
                report = DeliveryReport(sent=self._offered - self._dropped[name])
            reports[name] = dataclasses.replace(
                report, dropped=report.dropped + self._dropped[name])
        return reports

    def closing_lines(self):
        """The closing message: one line per backend (what ``close()`` prints to stderr)."""
        lines = []
        for name, report in self.delivery_reports().items():
            line = (f"mlpipelines.tracking: {name}: sent {report.sent}, retried {report.retried}, "
                    f"spooled {report.spooled}, dropped {report.dropped}")
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
