"""The registry of tracking backends, keyed by the name users type.

Names are the Java ``TrackingBackend`` enum names (``STDOUT``, ``MLFLOW``, ...):
upper-case letters, digits and ``_``. A backend's option names start with its
name in lower case followed by ``_`` (``mlflow_tracking_uri``), exactly as the
Java ``getPythonParams()`` produces them.

Built-in backends register themselves when their module is imported. Backends
from other distributions are found through the entry-point group
``mlpipelines.trackers``: the entry point's name is the backend name and its
value the tracker class, e.g. in ``pyproject.toml``::

    [project.entry-points."mlpipelines.trackers"]
    WANDB = "mlpipelines_wandb:WandbTracker"

Entry points are loaded the first time the registry is read.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import logging
import re
import threading
from collections.abc import Callable
from typing import overload

from .base import RunTracker
from .errors import TrackingError
from .suggestions import did_you_mean

ENTRY_POINT_GROUP = "mlpipelines.trackers"

_NAME_PATTERN = re.compile(r"[A-Z][A-Z0-9_]*\Z")
_OPTION_PATTERN = re.compile(r"[a-z][a-z0-9_]*\Z")
_LOG = logging.getLogger("mlpipelines.tracking")

_trackers: dict[str, type[RunTracker]] = {}
_entry_point_failures: dict[str, str] = {}
_entry_points_loaded = False
_lock = threading.RLock()


@overload
def register_tracker(name: str, tracker_class: None = None) -> Callable[[type[RunTracker]], type[RunTracker]]: ...


@overload
def register_tracker(name: str, tracker_class: type[RunTracker]) -> type[RunTracker]: ...


def register_tracker(
    name: str, tracker_class: type[RunTracker] | None = None
) -> type[RunTracker] | Callable[[type[RunTracker]], type[RunTracker]]:
    """Register ``tracker_class`` under ``name``; also usable as a class decorator.

    Args:
        name: the backend name (``[A-Z][A-Z0-9_]*``), as in ``--tracking_backends``.
        tracker_class: a ``RunTracker`` subclass whose ``options_class`` is a dataclass
            made with ``@tracking_options``; every option name starts with
            ``name.lower() + "_"`` and every option has a default. ``options_class``
            may be None (no options; the constructor gets the whole namespace, as the
            MontiCore guide describes).

    Returns:
        ``tracker_class`` (so that ``@register_tracker("NAME")`` works).

    Raises:
        TrackingError: a bad name, a bad class or option declaration, an option that
            another backend already declares, or a different class already registered
            under ``name``.
    """
    if tracker_class is None:
        return lambda cls: register_tracker(name, cls)
    _check_declaration(name, tracker_class)
    with _lock:
        existing = _trackers.get(name)
        if existing is not None and existing is not tracker_class:
            raise TrackingError(
                f"tracking backend {name} is already registered as {_qualified(existing)}; unregister it first"
            )
        _check_option_clash(name, tracker_class)
        _trackers[name] = tracker_class
    return tracker_class


def unregister_tracker(name: str) -> None:
    """Remove the backend registered under ``name`` (any case); unknown names are ignored."""
    with _lock:
        _trackers.pop(str(name).upper(), None)


def registered_trackers() -> dict[str, type[RunTracker]]:
    """Return a dict of every registered backend name -> tracker class, sorted by name.

    The first call also loads the ``mlpipelines.trackers`` entry points; an entry point
    that fails to load is reported once as a warning and left out (its error is repeated
    if someone asks for that backend by name).
    """
    _load_entry_points()
    with _lock:
        return dict(sorted(_trackers.items()))


def tracker_class(name: str) -> type[RunTracker]:
    """Return the tracker class registered under ``name`` (case-insensitive).

    Raises:
        TrackingError: no such backend; the message lists the registered names.
    """
    trackers = registered_trackers()
    key = str(name).strip().upper()
    if key in trackers:
        return trackers[key]
    message = (
        f"unknown tracking backend {name!r}; registered backends: {', '.join(trackers) or '(none)'}"
        f"{did_you_mean(key, trackers)}"
    )
    if key in _entry_point_failures:
        message += f" ({key} is declared as an entry point but failed to load: {_entry_point_failures[key]})"
    raise TrackingError(message)


def _load_entry_points() -> None:
    global _entry_points_loaded
    with _lock:
        if _entry_points_loaded:
            return
        _entry_points_loaded = True
        for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            try:
                register_tracker(entry_point.name, entry_point.load())
            except Exception as error:
                _entry_point_failures[entry_point.name.upper()] = f"{type(error).__name__}: {error}"
                _LOG.warning(
                    "tracking backend entry point %s = %s could not be registered: %s",
                    entry_point.name,
                    entry_point.value,
                    error,
                )


def _check_declaration(name: object, tracker_class: object) -> None:
    if not isinstance(name, str) or not _NAME_PATTERN.match(name):
        raise TrackingError(
            f"tracking backend name {name!r} is invalid; expected upper-case "
            f"letters, digits and '_' starting with a letter (like MLFLOW)"
        )
    if not (isinstance(tracker_class, type) and issubclass(tracker_class, RunTracker)):
        raise TrackingError(f"tracking backend {name}: {tracker_class!r} is not a RunTracker subclass")
    options_class = tracker_class.options_class
    if options_class is None:
        return
    if not (isinstance(options_class, type) and dataclasses.is_dataclass(options_class)):
        raise TrackingError(
            f"tracking backend {name}: {_qualified(tracker_class)}.options_class "
            f"must be a @tracking_options dataclass, not {options_class!r}"
        )
    prefix = name.lower() + "_"
    for option_field in dataclasses.fields(options_class):
        option_name = option_field.name
        if not (_OPTION_PATTERN.match(option_name) and option_name.startswith(prefix)):
            raise TrackingError(
                f"tracking backend {name}: option {option_name!r} must match [a-z][a-z0-9_]* and start with {prefix!r}"
            )
        if option_field.metadata.get("args") != [f"--{option_name}"]:
            raise TrackingError(
                f"tracking backend {name}: option {option_name!r} is not declared "
                f"as --{option_name}; build {options_class.__name__} with "
                f"@tracking_options"
            )
        if option_field.default is dataclasses.MISSING and option_field.default_factory is dataclasses.MISSING:
            raise TrackingError(
                f"tracking backend {name}: option {option_name!r} has no default; "
                f"every option needs one so that a script runs on its own"
            )


def _check_option_clash(name: str, tracker_class: type[RunTracker]) -> None:
    new_options = _option_names(tracker_class)
    for other_name, other_class in _trackers.items():
        if other_name == name:
            continue
        clash = new_options & _option_names(other_class)
        if clash:
            raise TrackingError(
                f"tracking backend {name}: option(s) {', '.join(sorted(clash))} already declared by {other_name}"
            )


def _option_names(tracker_class: type[RunTracker]) -> set[str]:
    options_class = tracker_class.options_class
    return set() if options_class is None else {f.name for f in dataclasses.fields(options_class)}


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"
