"""The two-language contract as reusable checks, for the built-in backends and outside ones alike.

Every check drives the real Java classes through JPype and the real Python runtime; the tests in
this directory call them for each backend the two registries know.
"""

from __future__ import annotations

import dataclasses
import re
from types import SimpleNamespace

from mlpipelines import bridge
from mlpipelines.config import is_secret_key
from mlpipelines.tracking import MultiBackendTracker, build_parser

PACKAGE = "de.monticore.mlpipelines"
OPTION_KEY = re.compile(r"[a-z][a-z0-9_]*")
SHARED_KEY = "tracking_backends"


def java_classes() -> SimpleNamespace:
    """The Java classes the contract tests drive (starts the process's one JVM on first use)."""
    bridge.start_jvm()
    return SimpleNamespace(
        TrackingBackend=bridge.java_class(f"{PACKAGE}.tracking.TrackingBackend"),
        TrackingBackends=bridge.java_class(f"{PACKAGE}.tracking.TrackingBackends"),
        TrackerFactory=bridge.java_class(f"{PACKAGE}.tracking.TrackerFactory"),
        TrackingConfigLoader=bridge.java_class(f"{PACKAGE}.tracking.config.TrackingConfigLoader"),
        TrackingConfigException=bridge.java_class(f"{PACKAGE}.tracking.config.TrackingConfigException"),
        TrainingLauncher=bridge.java_class(f"{PACKAGE}.pipeline.TrainingLauncher"),
        RunStatus=bridge.java_class(f"{PACKAGE}.tracking.tracker.RunStatus"),
        Secrets=bridge.java_class(f"{PACKAGE}.tracking.secret.Secrets"),
        Path=bridge.java_class("java.nio.file.Path"),
    )


def java_map(mapping) -> dict[str, str]:
    """A Java ``Map<String, String>`` as a Python dict."""
    return {str(entry.getKey()): str(entry.getValue()) for entry in mapping.entrySet()}


def held_options(name: str, backend) -> dict:
    """The option values a Python backend was built with, option name -> value.

    Backends keep their options dataclass as ``backend.options``; one that keeps the values as
    attributes named like the option without the backend prefix (STDOUT's ``experiment_name``)
    is read that way.
    """
    options = getattr(backend, "options", None)
    if options is not None:
        return dataclasses.asdict(options)
    prefix = name.lower() + "_"
    return {field.name: getattr(backend, field.name[len(prefix):])
            for field in dataclasses.fields(backend.options_class)}


def python_backends_from_java(java, tracker, names: list[str]) -> dict[str, str]:
    """Java params of a started run -> argv as the launcher builds it -> ``build_parser()`` ->
    ``MultiBackendTracker``; asserts it holds exactly the backends ``names``, each with exactly the
    option values Java produced (and its defaults for the rest). Returns the Java params.
    """
    params = java_map(tracker.getPythonParams())
    argv = [str(token) for token in java.TrainingLauncher.pythonArguments(tracker.getPythonParams())]
    assert argv == [f"--{key}={value}" for key, value in sorted(params.items())]
    args = build_parser().parse_args(argv)
    python = MultiBackendTracker(args)
    try:
        assert python.backend_names == names
        for name, backend in python.backends:
            prefix = name.lower() + "_"
            produced = {key: value for key, value in params.items() if key.startswith(prefix)}
            assert produced, f"{name}: Java produced no option"
            defaults = dataclasses.asdict(backend.options_class())
            assert set(produced) <= set(defaults), f"{name}: Java produced options Python does not declare"
            assert held_options(name, backend) == {**defaults, **produced}, name
    finally:
        python.close()
    assert params[SHARED_KEY] == ",".join(names)
    assert set(params) == {SHARED_KEY} | {key for key in params
                                          if any(key.startswith(name.lower() + "_") for name in names)}
    return params


def assert_option_keys_follow_the_rules(java, keys_by_backend: dict[str, set[str]]) -> None:
    """Every key matches ``[a-z][a-z0-9_]*``, starts with its backend's prefix, belongs to one
    backend only and names no secret (by Java's ``Secrets.isSecretKey`` and Python's twin)."""
    owners = {}
    for name, keys in keys_by_backend.items():
        for key in keys:
            assert OPTION_KEY.fullmatch(key), f"{name}: option {key!r} breaks [a-z][a-z0-9_]*"
            assert key.startswith(name.lower() + "_"), f"{name}: option {key!r} lacks the prefix"
            assert owners.setdefault(key, name) == name, f"option {key!r} of {owners[key]} and {name}"
            assert not java.Secrets.isSecretKey(key), f"{name}: option {key!r} looks like a secret"
            assert not is_secret_key(key), f"{name}: option {key!r} looks like a secret to Python"
