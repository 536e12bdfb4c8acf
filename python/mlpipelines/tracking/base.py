"""The ``RunTracker`` base class, option declarations and value validation.

A backend subclasses ``RunTracker``, declares its command-line options as a
``@tracking_options`` dataclass in ``options_class`` and implements one method,
``write_metrics``. Everything else has a harmless default. A backend written as
the MontiCore guide describes (it implements ``log_metric`` and its constructor
takes the namespace of all command-line arguments) is accepted too, see
``RunTracker``. The public verbs
(``log_metric``, ``log_metrics``, ``log_params``, ``set_tags``,
``log_artifact``) validate their input once and then call the ``write_*`` hooks
with clean values, so a backend never sees a bad value.

Metric policy, the same for every backend:

* values: ``int``, ``float``, numpy scalars and anything ``numbers.Real``
  (not ``bool``), plus 0-d arrays/tensors through ``.item()``; stored as float.
* NaN and ±Inf are accepted and passed on unchanged. CSV and TensorBoard keep
  them as they are, STDOUT prints ``nan``/``inf``; MLflow keeps NaN and stores
  ±Inf as ±1.7976931348623157e308 (MLflow's own behaviour) and warns once per key.
* step: an integer from 0 to 2**63 - 1 (MLflow stores an int64); ``None`` means
  step 0 (MLflow's convention). Anything else raises ValueError naming the key.
* timestamp: milliseconds since the epoch, at most 2**63 - 1; ``None`` means now.
* value: a number too large for a float (``10**400``) raises ValueError naming the key.

Keys follow MLflow's rules (``mlflow/utils/validation.py``), so that one metric has
the same name in every backend and no store rejects a batch for a name:

* not a string, or empty: ValueError (a programming error).
* characters other than alphanumerics, ``_ - . / :`` and space: each one is
  replaced by ``_``, with one warning per key (the data is worth keeping).
* a name that is not a unique path (``a//b``, ``./a``, ``a/..``, ``/a``, ``.``):
  its ``/`` become ``_`` (and a remaining ``.`` or ``..`` becomes ``_``), one warning.
* longer than 250 characters: cut to 250, one warning.

Repaired keys are remembered, so the check costs one dict lookup per call.
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
import math
import numbers
import os
import posixpath
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar, cast

from .redaction import stored_values

if TYPE_CHECKING:
    from typing_extensions import Self

    from .journal import JournalCursor

_OptionsT = TypeVar("_OptionsT", bound=type)

_LOG = logging.getLogger("mlpipelines.tracking")
# MLflow's metric name rules (mlflow/utils/validation.py: validate_param_and_metric_name,
# path_not_unique, MAX_ENTITY_KEY_LENGTH).
_INVALID_KEY_CHARACTERS = re.compile(r"[^/\w.\- :]")
MAX_KEY_LENGTH = 250
# Steps and timestamps are int64 in MLflow's stores.
MAX_INT64 = 2**63 - 1
# Checked keys -> the key every backend receives; bounded so that generated keys cannot grow it forever.
_checked_keys: dict[str, str] = {}
_MAX_CHECKED_KEYS = 100_000

RUN_STATUSES = ("RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED")
END_STATUSES = ("FINISHED", "FAILED", "KILLED")


def option(help: str, default: Any = MISSING, default_factory: Any = MISSING) -> Any:
    """Declare one command-line option of a backend (a dataclass field with help text).

    Args:
        help: the sentence ``--help`` shows.
        default: the value when the option is not given.
        default_factory: a callable computing the default when the options are built
            (for defaults read from the environment).
    """
    return field(default=default, default_factory=default_factory, metadata={"help": help})


def tracking_options(cls: _OptionsT) -> _OptionsT:
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
    for name in inspect.get_annotations(cls):
        declared = cls.__dict__.get(name, MISSING)
        if isinstance(declared, dataclasses.Field):
            metadata = {**declared.metadata, "args": [f"--{name}"]}
            setattr(
                cls,
                name,
                field(
                    default=declared.default,
                    default_factory=declared.default_factory,
                    metadata=metadata,
                ),
            )
        else:
            setattr(cls, name, field(default=declared, metadata={"args": [f"--{name}"]}))
    return cast(_OptionsT, dataclass(frozen=True)(cls))


@dataclass
class DeliveryReport:
    """What one backend did with what it was given, for the closing message.

    Attributes:
        sent: items that reached the backend's store.
        retried: delivery attempts that were repeated after a failure.
        spooled: items kept on disk for ``replay`` because they could not be delivered.
        dropped: items lost: the store rejected them (each reported once) or the spool could not
            be written; anything but 0 is shown loudly.
        location: where to look (a run URL, a file, a directory).
        note: one more sentence worth telling (how to replay the spool).
    """

    sent: int = 0
    retried: int = 0
    spooled: int = 0
    dropped: int = 0
    location: str = ""
    note: str = ""


def now_millis() -> int:
    """The current time in milliseconds since the epoch."""
    return time.time_ns() // 1_000_000


def metric_value(key: str, value: object) -> float:
    """Return ``value`` as a float, or raise ValueError naming ``key``.

    Raises:
        ValueError: the value is not a real number (a string, None, a bool, a list, ...),
            or it is too large for a float.
    """
    value_type = type(value)
    if value_type is float:
        return cast(float, value)
    try:
        if value_type is int:
            return float(cast(int, value))
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
    except OverflowError:
        # The repr of a huge int can itself fail (Python limits int-to-str conversion).
        shown = f"(an integer of {value.bit_length()} bits)" if isinstance(value, int) else repr(value)
        raise ValueError(
            f"metric {key!r}: value {shown} is too large for a 64-bit float; "
            f"expected a number of magnitude below 1.8e308 (or math.inf)"
        ) from None
    raise ValueError(
        f"metric {key!r}: value {value!r} ({value_type.__name__}) is not a number; "
        f"expected an int, a float or a numpy scalar"
    )


def metric_step(key: str, step: object) -> int:
    """Return ``step`` as an int from 0 to 2**63 - 1 (``None`` -> 0), or raise ValueError naming ``key``."""
    if step is None:
        return 0
    if type(step) is not int:
        if isinstance(step, bool) or not isinstance(step, numbers.Integral):
            raise ValueError(
                f"metric {key!r}: step {step!r} ({type(step).__name__}) is not an "
                f"integer; expected a non-negative integer"
            )
        return metric_step(key, int(step))
    if step < 0:
        raise ValueError(f"metric {key!r}: step {step} is negative; expected a non-negative integer")
    if step > MAX_INT64:
        raise ValueError(
            f"metric {key!r}: step {step} is out of range; expected an integer from 0 to 2**63 - 1 (int64)"
        )
    return step


def metric_timestamp(key: str, timestamp: object) -> int:
    """Return ``timestamp`` in ms as an int (``None`` -> now); ValueError names ``key``."""
    if timestamp is None:
        return time.time_ns() // 1_000_000
    if type(timestamp) is not int:
        if isinstance(timestamp, bool) or not isinstance(timestamp, numbers.Real):
            raise ValueError(
                f"metric {key!r}: timestamp {timestamp!r} is not a number; expected milliseconds since the epoch"
            )
        return metric_timestamp(key, math.trunc(timestamp))
    if timestamp < 0 or timestamp > MAX_INT64:
        problem = "negative" if timestamp < 0 else "out of range (int64)"
        raise ValueError(f"metric {key!r}: timestamp {timestamp} is {problem}; expected milliseconds since the epoch")
    return timestamp


def metric_key(key: object) -> str:
    """Return ``key`` as every backend receives it: valid in MLflow, repaired with a warning if needed.

    See the module doc for the rules.

    Raises:
        ValueError: ``key`` is not a non-empty string.
    """
    if type(key) is not str or not key:
        raise ValueError(f"metric key {key!r} is not a non-empty string")
    checked = _checked_keys.get(key)
    if checked is not None:
        return checked
    repaired = _INVALID_KEY_CHARACTERS.sub("_", key)
    if _path_not_unique(repaired):
        repaired = repaired.replace("/", "_")
        if repaired in (".", ".."):
            repaired = "_" * len(repaired)
    repaired = repaired[:MAX_KEY_LENGTH]
    if repaired != key:
        _LOG.warning("metric key %r is not valid in MLflow; logged as %r in every backend", key, repaired)
    if len(_checked_keys) < _MAX_CHECKED_KEYS:
        _checked_keys[key] = repaired
    return repaired


def _path_not_unique(name: str) -> bool:
    normalized = posixpath.normpath(name)
    return normalized != name or normalized == "." or normalized.startswith(("..", "/"))


def string_mapping(kind: str, mapping: object) -> dict[str, str]:
    """Return ``mapping`` as a dict of str -> str (values through ``str``).

    Raises:
        ValueError: ``mapping`` is not a mapping, or a key is not a non-empty string.
    """
    if not hasattr(mapping, "items"):
        raise ValueError(f"{kind} must be a mapping of names to values, not {type(mapping).__name__}")
    result = {}
    for key, value in mapping.items():
        if type(key) is not str or not key:
            raise ValueError(f"{kind[:-1]} key {key!r} is not a non-empty string")
        result[key] = value if type(value) is str else str(value)
    return result


def end_status(status: object) -> str:
    """Return ``status`` upper-cased if it ends a run, else raise ValueError listing the choices."""
    normalized = str(status).upper()
    if normalized not in END_STATUSES:
        raise ValueError(f"run status {status!r} cannot end a run; expected one of {', '.join(END_STATUSES)}")
    return normalized


class RunTracker(ABC):
    """One place metrics, params, tags and artifacts of a training run go to.

    Subclasses set ``options_class`` (a ``@tracking_options`` dataclass) and are built
    as ``SubClass(options)``; they implement ``write_metrics`` and override the other
    ``write_*`` hooks, ``flush``, ``close`` and ``delivery_report`` where they have
    something to do. Constructors must not touch the outside world (no files, no
    connections): that happens on first use.

    The MontiCore guide's route works as well: a subclass that overrides only
    ``log_metric(self, key, value, timestamp=None, step=None)`` gets ``write_metric``
    and ``write_metrics`` routed to it (with validated values), and one that leaves
    ``options_class`` None (declares no options) or sets ``receives_namespace = True``
    is built as ``SubClass(args)`` with the namespace of all command-line arguments::

        class MyTracker(RunTracker):
            def __init__(self, args):
                self.uri = args.mytracker_uri

            def log_metric(self, key, value, timestamp=None, step=None):
                send(self.uri, key, value, step)

    A tracker is a context manager: entering the block calls ``start()`` (files, threads and
    connections get ready before training starts), leaving it closes the tracker, with status
    FAILED if an exception escaped (KILLED for KeyboardInterrupt).
    """

    # The @tracking_options dataclass of this backend's options; None: no options declared,
    # and the constructor receives the namespace of all command-line arguments.
    options_class: ClassVar[type[Any] | None] = None
    # True: the constructor receives the namespace of all command-line arguments, even though
    # options_class declares options (so that the parser accepts them).
    receives_namespace: ClassVar[bool] = False
    # True: metrics are stored later, by a thread of the backend's own; with a tracking journal the
    # backend then gets a cursor (``attach_journal_cursor``) and advances it itself. False: a metric is
    # in the store when ``write_metric(s)`` returns, and the fan-out advances the cursor.
    delivers_in_background: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # The guide's route: log_metric overridden, the write_* hooks not. Routing the hooks to
        # log_metric here, before ABCMeta collects the abstract methods, makes such a class concrete.
        overrides_log_metric = "log_metric" in cls.__dict__
        inherits_write_hooks = all(
            getattr(cls, hook) is getattr(RunTracker, hook) for hook in ("write_metric", "write_metrics")
        )
        if overrides_log_metric and inherits_write_hooks:
            cls.write_metric = RunTracker._write_metric_through_log_metric  # type: ignore[method-assign]
            cls.write_metrics = RunTracker._write_metrics_through_log_metric  # type: ignore[method-assign]

    @classmethod
    def from_namespace(cls, args: object) -> Self:
        """Build this backend from the parsed command line (``build_parser().parse_args()``).

        Backends with an ``options_class`` get their options dataclass, filled from the
        namespace's attributes of the same name (missing ones take their defaults); the
        others (see the class doc) get ``args`` itself.
        """
        options_class = cls.options_class
        # The ABC declares no constructor; each backend's takes the one argument chosen here.
        if options_class is None or cls.receives_namespace:
            return cls(args)  # type: ignore[call-arg]
        options = options_class(
            **{
                option.name: getattr(args, option.name)
                for option in dataclasses.fields(options_class)
                if hasattr(args, option.name)
            }
        )
        return cls(options)  # type: ignore[call-arg]

    def _write_metric_through_log_metric(self, key: str, value: float, timestamp: int, step: int) -> None:
        self.log_metric(key, value, timestamp=timestamp, step=step)

    def _write_metrics_through_log_metric(self, metrics: Mapping[str, float], timestamp: int, step: int) -> None:
        for key, value in metrics.items():
            self.log_metric(key, value, timestamp=timestamp, step=step)

    def log_metric(self, key: str, value: object, timestamp: float | None = None, step: int | None = None) -> None:
        """Log one metric value.

        Args:
            key: the metric name, a non-empty string; repaired to MLflow's rules (see module doc).
            value: an int, float or numpy scalar; NaN and ±Inf are allowed (see module doc).
            timestamp: milliseconds since the epoch; default now.
            step: an integer from 0 to 2**63 - 1; default 0.

        Raises:
            ValueError: a bad key, value, step or timestamp (the message names the key).
        """
        # The hot path: the common types are checked inline, the helpers run only for the others;
        # a key seen before costs one dict lookup.
        try:
            checked_key = _checked_keys[key]
        except (KeyError, TypeError):  # a new key, or not a string at all (metric_key says which)
            checked_key = metric_key(key)
        checked_value = value if type(value) is float else metric_value(key, value)
        checked_step = step if type(step) is int and 0 <= step <= MAX_INT64 else metric_step(key, step)
        checked_timestamp = time.time_ns() // 1_000_000 if timestamp is None else metric_timestamp(key, timestamp)
        self.write_metric(checked_key, checked_value, checked_timestamp, checked_step)

    def log_metrics(
        self, metrics: Mapping[str, object], step: int | None = None, timestamp: float | None = None
    ) -> None:
        """Log several metrics of the same step and time.

        Args:
            metrics: a mapping of metric name to value.
            step, timestamp: as in ``log_metric``, shared by all values.

        Raises:
            ValueError: as in ``log_metric``; nothing is logged then.
        """
        if not hasattr(metrics, "items"):
            raise ValueError(f"metrics must be a mapping of names to values, not {type(metrics).__name__}")
        clean: dict[str, float] = {}
        for key, value in metrics.items():
            clean[metric_key(key)] = value if type(value) is float else metric_value(key, value)
        first_key = next(iter(clean), "")
        checked_step = metric_step(first_key, step)
        checked_timestamp = metric_timestamp(first_key, timestamp)
        if clean:
            self.write_metrics(clean, checked_timestamp, checked_step)

    def log_param(self, key: str, value: object) -> None:
        """Log one parameter (``str(value)``); see ``log_params``."""
        self.log_params({key: value})

    def log_params(self, params: Mapping[str, object]) -> None:
        """Log parameters of the run.

        Args:
            params: a mapping of name to value; values are logged as ``str(value)``.

        Raises:
            ValueError: ``params`` is not a mapping or a key is not a non-empty string.
        """
        self.write_params(stored_values(string_mapping("params", params)))

    def set_tag(self, key: str, value: object) -> None:
        """Set one tag (``str(value)``); see ``set_tags``."""
        self.set_tags({key: value})

    def set_tags(self, tags: Mapping[str, object]) -> None:
        """Set tags of the run.

        Args:
            tags: a mapping of name to value; values are logged as ``str(value)``.

        Raises:
            ValueError: ``tags`` is not a mapping or a key is not a non-empty string.
        """
        self.write_tags(stored_values(string_mapping("tags", tags)))

    def log_artifact(self, path: str | os.PathLike[str], artifact_path: str | None = None) -> None:
        """Log a file or directory as an artifact of the run.

        Args:
            path: the local file or directory.
            artifact_path: a relative directory inside the run's artifacts (default: top level).

        Raises:
            ValueError: ``path`` does not exist, or ``artifact_path`` is absolute or
                contains ``..``.
        """
        local_path = os.fspath(path)
        if not os.path.exists(local_path):
            raise ValueError(f"artifact {local_path!r} does not exist")
        refuse_escaping_links(local_path)
        if artifact_path is not None:
            artifact_path = str(artifact_path)
            normalized = posixpath.normpath(artifact_path.replace("\\", "/"))
            if posixpath.isabs(normalized) or normalized == ".." or normalized.startswith("../"):
                raise ValueError(
                    f"artifact_path {artifact_path!r} escapes the run's artifact "
                    f"directory; expected a relative path without '..'"
                )
            artifact_path = None if normalized == "." else normalized
        self.write_artifact(local_path, artifact_path)

    @abstractmethod
    def write_metrics(self, metrics: Mapping[str, float], timestamp: int, step: int) -> None:
        """Store validated metrics: ``metrics`` str -> float, ``timestamp`` ms, ``step`` int."""

    def write_metric(self, key: str, value: float, timestamp: int, step: int) -> None:
        """Store one validated metric (default: ``write_metrics({key: value}, ...)``)."""
        self.write_metrics({key: value}, timestamp, step)

    def write_params(self, params: dict[str, str]) -> None:
        """Store validated params (str -> str). Default: ignored."""

    def write_tags(self, tags: dict[str, str]) -> None:
        """Store validated tags (str -> str). Default: ignored."""

    def write_artifact(self, path: str, artifact_path: str | None) -> None:
        """Store an existing file or directory under a safe relative ``artifact_path``.

        Default: ignored.
        """

    def start(self) -> None:
        """Get ready to log: open files, start threads, begin connecting; idempotent.

        Entering the tracker's ``with`` block calls it, so that this work happens before
        training starts; without it, the first log call does it. Failures are raised here as
        they would be from the first log call. Default: nothing to prepare.
        """

    def flush(self) -> None:
        """Deliver everything buffered so far. Default: nothing buffered."""

    def close(self, status: str = "FINISHED") -> None:
        """Flush and release resources; end the run with ``status`` if this tracker owns it.

        Args:
            status: FINISHED, FAILED or KILLED.
        """

    def attach_journal_cursor(self, cursor: JournalCursor) -> None:
        """Receive this backend's cursor in the tracking journal (only if ``delivers_in_background``).

        The backend must call ``cursor.advance(n)`` once ``n`` more metrics, in the order it was
        given them, are durable in its store, spooled, or dropped for good. Default: ignored.
        """

    def delivery_report(self) -> DeliveryReport | None:
        """Return a ``DeliveryReport`` for the closing message, or None to let the caller count."""
        return None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> Literal[False]:
        if exc_type is None:
            self.close("FINISHED")
        elif issubclass(exc_type, KeyboardInterrupt):
            self.close("KILLED")
        else:
            self.close("FAILED")
        return False


def refuse_escaping_links(path: str) -> None:
    """Refuse an artifact that is a symbolic link, or a directory holding one that resolves outside it.

    Copying would store the link's target (a link to ``/etc/passwd`` would upload that file), which is
    not what was named; a link inside a directory to something in the same directory is fine. The same
    rule as Java's ``LocalArtifacts.refuseEscapingLinks``.

    Raises:
        ValueError: naming the link and where it points.
    """
    if os.path.islink(path):
        raise ValueError(
            f"artifact {path!r} is a symbolic link (to {os.readlink(path)!r}); refused, since its target is "
            "not what was named: log the file it points to instead"
        )
    if not os.path.isdir(path):
        return
    root = os.path.realpath(path)
    for directory, subdirectories, files in os.walk(path):
        for name in subdirectories + files:
            entry = os.path.join(directory, name)
            if not os.path.islink(entry):
                continue
            resolved = os.path.realpath(entry)
            if not os.path.exists(resolved) or os.path.commonpath([root, resolved]) != root:
                where = "which does not exist" if not os.path.exists(resolved) else "outside the directory"
                raise ValueError(
                    f"artifact {path!r} holds the symbolic link {os.path.relpath(entry, path)!r} to "
                    f"{os.readlink(entry)!r}, {where}; refused, since its target is not what was named"
                )
