"""The ``RunTracker`` base class, option declarations and value validation.

A backend subclasses ``RunTracker``, declares its command-line options as a
``@tracking_options`` dataclass in ``options_class`` and implements one method,
``write_metrics``. Everything else has a harmless default. The public verbs
(``log_metric``, ``log_metrics``, ``log_params``, ``set_tags``,
``log_artifact``) validate their input once and then call the ``write_*`` hooks
with clean values, so a backend never sees a bad value.

Metric policy, the same for every backend:

* values: ``int``, ``float``, numpy scalars and anything ``numbers.Real``
  (not ``bool``), plus 0-d arrays/tensors through ``.item()``; stored as float.
* NaN and ±Inf are accepted and passed on unchanged. CSV and TensorBoard keep
  them as they are, STDOUT prints ``nan``/``inf``; MLflow keeps NaN and stores
  ±Inf as ±1.7976931348623157e308 (MLflow's own behaviour) and warns once per key.
* step: a non-negative integer; ``None`` means step 0 (MLflow's convention).
* timestamp: milliseconds since the epoch; ``None`` means now.
"""

import dataclasses
import numbers
import os
import posixpath
import time
from abc import ABC, abstractmethod
from dataclasses import MISSING, dataclass, field

RUN_STATUSES = ("RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED")
END_STATUSES = ("FINISHED", "FAILED", "KILLED")


def option(help, default=MISSING, default_factory=MISSING):
    """Declare one command-line option of a backend (a dataclass field with help text).

    Args:
        help: the sentence ``--help`` shows.
        default: the value when the option is not given.
        default_factory: a callable computing the default when the options are built
            (for defaults read from the environment).
    """
    return field(default=default, default_factory=default_factory, metadata={"help": help})


def tracking_options(cls):
    """Turn ``cls`` into a frozen dataclass of backend options named exactly like their flags.

    argparse-dataclass spells a field ``csv_dir`` as ``--csv-dir`` unless the field's
    metadata names the flag; the Java side passes ``--csv_dir``. This decorator adds
    ``metadata["args"] = ["--<field name>"]`` to every field before the dataclass is
    built, so argparse-dataclass produces the contract's spelling and stores the value
    under the field's name.

    Example::

        @tracking_options
        class CsvOptions:
            csv_dir: str = option("directory of CSV runs", default="runs/csv")
    """
    for name in cls.__dict__.get("__annotations__", {}):
        declared = cls.__dict__.get(name, MISSING)
        if isinstance(declared, dataclasses.Field):
            metadata = {**declared.metadata, "args": [f"--{name}"]}
            setattr(cls, name, field(default=declared.default,
                                     default_factory=declared.default_factory,
                                     metadata=metadata))
        else:
            setattr(cls, name, field(default=declared, metadata={"args": [f"--{name}"]}))
    return dataclass(frozen=True)(cls)


@dataclass
class DeliveryReport:
    """What one backend did with what it was given, for the closing message.

    Attributes:
        sent: items that reached the backend's store.
        retried: delivery attempts that were repeated after a failure.
        spooled: items kept on disk for ``replay`` because they could not be delivered.
        dropped: items lost; anything but 0 is a bug or a disk failure and is shown loudly.
        location: where to look (a run URL, a file, a directory).
        note: one more sentence worth telling (how to replay the spool).
    """

    sent: int = 0
    retried: int = 0
    spooled: int = 0
    dropped: int = 0
    location: str = ""
    note: str = ""


def now_millis():
    """The current time in milliseconds since the epoch."""
    return time.time_ns() // 1_000_000


def metric_value(key, value):
    """Return ``value`` as a float, or raise ValueError naming ``key``.

    Raises:
        ValueError: the value is not a real number (a string, None, a bool, a list, ...).
    """
    value_type = type(value)
    if value_type is float:
        return value
    if value_type is int:
        return float(value)
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    item = getattr(value, "item", None)
    if callable(item) and not isinstance(value, (str, bytes)):
        try:
            scalar = item()
        except (TypeError, ValueError):
            scalar = None
        if isinstance(scalar, numbers.Real) and not isinstance(scalar, bool):
            return float(scalar)
    raise ValueError(f"metric {key!r}: value {value!r} ({value_type.__name__}) is not a number; "
                     f"expected an int, a float or a numpy scalar")


def metric_step(key, step):
    """Return ``step`` as a non-negative int (``None`` -> 0), or raise ValueError naming ``key``."""
    if step is None:
        return 0
    if type(step) is not int:
        if isinstance(step, bool) or not isinstance(step, numbers.Integral):
            raise ValueError(f"metric {key!r}: step {step!r} ({type(step).__name__}) is not an "
                             f"integer; expected a non-negative integer")
        step = int(step)
    if step < 0:
        raise ValueError(f"metric {key!r}: step {step} is negative; "
                         f"expected a non-negative integer")
    return step


def metric_timestamp(key, timestamp):
    """Return ``timestamp`` in ms as an int (``None`` -> now); ValueError names ``key``."""
    if timestamp is None:
        return time.time_ns() // 1_000_000
    if type(timestamp) is not int:
        if isinstance(timestamp, bool) or not isinstance(timestamp, numbers.Real):
            raise ValueError(f"metric {key!r}: timestamp {timestamp!r} is not a number; "
                             f"expected milliseconds since the epoch")
        timestamp = int(timestamp)
    if timestamp < 0:
        raise ValueError(f"metric {key!r}: timestamp {timestamp} is negative; "
                         f"expected milliseconds since the epoch")
    return timestamp


def metric_key(key):
    """Return ``key`` if it is a non-empty string, else raise ValueError."""
    if type(key) is not str or not key:
        raise ValueError(f"metric key {key!r} is not a non-empty string")
    return key


def string_mapping(kind, mapping):
    """Return ``mapping`` as a dict of str -> str (values through ``str``).

    Raises:
        ValueError: ``mapping`` is not a mapping, or a key is not a non-empty string.
    """
    if not hasattr(mapping, "items"):
        raise ValueError(f"{kind} must be a mapping of names to values, "
                         f"not {type(mapping).__name__}")
    result = {}
    for key, value in mapping.items():
        if type(key) is not str or not key:
            raise ValueError(f"{kind[:-1]} key {key!r} is not a non-empty string")
        result[key] = value if type(value) is str else str(value)
    return result


def end_status(status):
    """Return ``status`` upper-cased if it ends a run, else raise ValueError listing the choices."""
    normalized = str(status).upper()
    if normalized not in END_STATUSES:
        raise ValueError(f"run status {status!r} cannot end a run; expected one of "
                         f"{', '.join(END_STATUSES)}")
    return normalized


@dataclass(frozen=True)
class ConfigKey:
    """One key of a backend's section of tracking.yaml, as the Python side validates it.

    Attributes:
        option: the command-line option the key sets (``csv_dir`` for ``backends.csv.dir``),
            or None for a key only the Java half uses (``clean_up``).
        kind: ``"text"`` any string; ``"name"`` a non-blank string; ``"path"`` a non-blank
            path without NUL characters; ``"run_statuses"`` a list of ``RUN_STATUSES``.

    Example::

        config_keys = {"dir": ConfigKey("csv_dir", "path")}
    """

    option: str = None
    kind: str = "text"


class RunTracker(ABC):
    """One place metrics, params, tags and artifacts of a training run go to.

    Subclasses set ``options_class`` (a ``@tracking_options`` dataclass) and are built
    as ``SubClass(options)``; they implement ``write_metrics`` and override the other
    ``write_*`` hooks, ``flush``, ``close`` and ``delivery_report`` where they have
    something to do. Constructors must not touch the outside world (no files, no
    connections): that happens on first use.

    A tracker is a context manager: leaving the block closes it, with status FAILED
    if an exception escaped (KILLED for KeyboardInterrupt).
    """

    options_class = None
    # The keys of this backend's tracking.yaml section: yaml key -> ConfigKey; None when
    # undeclared (then mlpipelines.config checks only that the section is a mapping).
    config_keys = None

    def log_metric(self, key, value, timestamp=None, step=None):
        """Log one metric value.

        Args:
            key: the metric name, a non-empty string.
            value: an int, float or numpy scalar; NaN and ±Inf are allowed (see module doc).
            timestamp: milliseconds since the epoch; default now.
            step: a non-negative integer; default 0.

        Raises:
            ValueError: a bad key, value, step or timestamp (the message names the key).
        """
        if type(key) is not str or not key:
            metric_key(key)
        if type(value) is not float:
            value = metric_value(key, value)
        if type(step) is not int or step < 0:
            step = metric_step(key, step)
        if timestamp is None:
            timestamp = time.time_ns() // 1_000_000
        else:
            timestamp = metric_timestamp(key, timestamp)
        self.write_metric(key, value, timestamp, step)

    def log_metrics(self, metrics, step=None, timestamp=None):
        """Log several metrics of the same step and time.

        Args:
            metrics: a mapping of metric name to value.
            step, timestamp: as in ``log_metric``, shared by all values.

        Raises:
            ValueError: as in ``log_metric``; nothing is logged then.
        """
        if not hasattr(metrics, "items"):
            raise ValueError(f"metrics must be a mapping of names to values, not "
                             f"{type(metrics).__name__}")
        clean = {}
        for key, value in metrics.items():
            metric_key(key)
            clean[key] = value if type(value) is float else metric_value(key, value)
        first_key = next(iter(clean), "")
        step = metric_step(first_key, step)
        timestamp = metric_timestamp(first_key, timestamp)
        if clean:
            self.write_metrics(clean, timestamp, step)

    def log_param(self, key, value):
        """Log one parameter (``str(value)``); see ``log_params``."""
        self.log_params({key: value})

    def log_params(self, params):
        """Log parameters of the run.

        Args:
            params: a mapping of name to value; values are logged as ``str(value)``.

        Raises:
            ValueError: ``params`` is not a mapping or a key is not a non-empty string.
        """
        self.write_params(string_mapping("params", params))

    def set_tag(self, key, value):
        """Set one tag (``str(value)``); see ``set_tags``."""
        self.set_tags({key: value})

    def set_tags(self, tags):
        """Set tags of the run.

        Args:
            tags: a mapping of name to value; values are logged as ``str(value)``.

        Raises:
            ValueError: ``tags`` is not a mapping or a key is not a non-empty string.
        """
        self.write_tags(string_mapping("tags", tags))

    def log_artifact(self, path, artifact_path=None):
        """Log a file or directory as an artifact of the run.

        Args:
            path: the local file or directory.
            artifact_path: a relative directory inside the run's artifacts (default: top level).

        Raises:
            ValueError: ``path`` does not exist, or ``artifact_path`` is absolute or
                contains ``..``.
        """
        path = os.fspath(path)
        if not os.path.exists(path):
            raise ValueError(f"artifact {path!r} does not exist")
        if artifact_path is not None:
            artifact_path = str(artifact_path)
            normalized = posixpath.normpath(artifact_path.replace("\\", "/"))
            if posixpath.isabs(normalized) or normalized == ".." or normalized.startswith("../"):
                raise ValueError(f"artifact_path {artifact_path!r} escapes the run's artifact "
                                 f"directory; expected a relative path without '..'")
            artifact_path = None if normalized == "." else normalized
        self.write_artifact(path, artifact_path)

    @abstractmethod
    def write_metrics(self, metrics, timestamp, step):
        """Store validated metrics: ``metrics`` str -> float, ``timestamp`` ms, ``step`` int."""

    def write_metric(self, key, value, timestamp, step):
        """Store one validated metric (default: ``write_metrics({key: value}, ...)``)."""
        self.write_metrics({key: value}, timestamp, step)

    def write_params(self, params):
        """Store validated params (str -> str). Default: ignored."""

    def write_tags(self, tags):
        """Store validated tags (str -> str). Default: ignored."""

    def write_artifact(self, path, artifact_path):
        """Store an existing file or directory under a safe relative ``artifact_path``.

        Default: ignored.
        """

    def flush(self):
        """Deliver everything buffered so far. Default: nothing buffered."""

    def close(self, status="FINISHED"):
        """Flush and release resources; end the run with ``status`` if this tracker owns it.

        Args:
            status: FINISHED, FAILED or KILLED.
        """

    def delivery_report(self):
        """Return a ``DeliveryReport`` for the closing message, or None to let the caller count."""
        return None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, traceback):
        if exc_type is None:
            self.close("FINISHED")
        elif issubclass(exc_type, KeyboardInterrupt):
            self.close("KILLED")
        else:
            self.close("FAILED")
        return False
