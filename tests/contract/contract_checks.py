"""The two-language contract as reusable checks, for every backend the two registries know.

Every check drives the real Java classes through JPype and the real Python runtime. The backends
come from the registries themselves (Java: ``TrackingBackends.discover()``, Python:
``registered_trackers()``), never from a hand-written list, so a new built-in backend and a backend
installed from outside the tree are checked without an edit here.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from mlpipelines import bridge
from mlpipelines.tracking import MultiBackendTracker, build_parser, registered_trackers
from mlpipelines.tracking.redaction import is_secret_key

PACKAGE = "de.monticore.mlpipelines"
OPTION_KEY = re.compile(r"[a-z][a-z0-9_]*")
SHARED_KEY = "tracking_backends"
EXPERIMENT_NAME = 'it\'s "a" name ü 数字'


def java_classes() -> SimpleNamespace:
    """The Java classes the contract tests drive (starts the process's one JVM on first use)."""
    bridge.start_jvm()
    return SimpleNamespace(
        TrackingBackend=bridge.java_class(f"{PACKAGE}.tracking.TrackingBackend"),
        TrackingBackends=bridge.java_class(f"{PACKAGE}.tracking.TrackingBackends"),
        TrackerFactory=bridge.java_class(f"{PACKAGE}.tracking.TrackerFactory"),
        ConfigSection=bridge.java_class(f"{PACKAGE}.tracking.config.ConfigSection"),
        TrainingLauncher=bridge.java_class(f"{PACKAGE}.pipeline.TrainingLauncher"),
        RunStatus=bridge.java_class(f"{PACKAGE}.tracking.tracker.RunStatus"),
        RunDirectories=bridge.java_class(f"{PACKAGE}.tracking.rundir.RunDirectories"),
        Secrets=bridge.java_class(f"{PACKAGE}.tracking.secret.Secrets"),
        Path=bridge.java_class("java.nio.file.Path"),
        TreeMap=bridge.java_class("java.util.TreeMap"),
    )


def java_map(mapping: Any) -> dict[str, str]:
    """A Java ``Map<String, String>`` as a Python dict."""
    return {str(entry.getKey()): str(entry.getValue()) for entry in mapping.entrySet()}


def java_providers(java: SimpleNamespace) -> dict[str, Any]:
    """Every backend the Java registry knows (built-ins, then ServiceLoader providers), name -> provider."""
    return {str(provider.name()): provider for provider in java.TrackingBackends.discover().all()}


def backend_names() -> tuple[list[str], list[str]]:
    """(every name either registry knows, the names both know), Java's order first."""
    java_names = list(java_providers(java_classes()))
    python_names = list(registered_trackers())
    every = java_names + [name for name in python_names if name not in java_names]
    return every, [name for name in java_names if name in python_names]


def prefix_of(name: str) -> str:
    """The prefix of every option of backend ``name``: ``csv_`` for CSV."""
    return name.lower() + "_"


def declared_options(name: str) -> set[str]:
    """The option names the Python backend's dataclass declares (none without an ``options_class``)."""
    options_class = registered_trackers()[name].options_class
    return set() if options_class is None else {field.name for field in dataclasses.fields(options_class)}


def default_config(java: SimpleNamespace, provider: Any) -> Any:
    """The backend's config record as an empty tracking.yaml section gives it (``backends: {csv: }``)."""
    section = java.ConfigSection("tracking.yaml", f"backends.{str(provider.name()).lower()}", None, lambda _: None)
    return provider.parseConfig(section)


def hard_section(provider: Any, directory: Path, mlflow_url: str | None) -> dict[str, str]:
    """A tracking.yaml section whose values are hard to pass on argv, chosen by key name.

    ``experiment_name`` gets quotes and non-ASCII text; a directory key (``dir``, ``*_dir``) a path
    in ``directory`` with spaces, quotes and something that looks like an option; ``tracking_uri``
    the session's MLflow server (a local store would start a server of its own). Other keys keep
    their defaults.
    """
    name = str(provider.name()).lower()
    section = {}
    for key in sorted(str(key) for key in provider.configKeys()):
        if key == "experiment_name":
            section[key] = EXPERIMENT_NAME
        elif key == "dir" or key.endswith("_dir"):
            section[key] = str(directory / f"{name} runs, 'quoted' \"数字\" ü --not-an-option")
        elif key == "tracking_uri" and mlflow_url is not None:
            section[key] = mlflow_url
    return section


def needs_mlflow_server(provider: Any) -> bool:
    """True when ``hard_section`` points one of the backend's keys at the session's MLflow server."""
    return "tracking_uri" in {str(key) for key in provider.configKeys()}


def launcher_argv(java: SimpleNamespace, params: Mapping[str, str]) -> list[str]:
    """The argv tokens ``TrainingLauncher.pythonArguments`` builds from ``params`` (``--key=value``, sorted)."""
    java_params = java.TreeMap()
    for key, value in params.items():
        java_params.put(key, value)
    argv = [str(token) for token in java.TrainingLauncher.pythonArguments(java_params)]
    assert argv == [f"--{key}={value}" for key, value in sorted(params.items())]
    return argv


def held_options(name: str, backend: Any) -> dict[str, Any]:
    """The option values a Python backend was built with, option name -> value.

    Backends keep their options dataclass as ``backend.options``; one that keeps the values as
    attributes named like the option without the backend prefix is read that way.
    """
    options = getattr(backend, "options", None)
    if options is not None:
        return dataclasses.asdict(options)
    prefix = prefix_of(name)
    return {
        field.name: getattr(backend, field.name[len(prefix) :]) for field in dataclasses.fields(backend.options_class)
    }


def assert_python_backends_hold(java: SimpleNamespace, params: Mapping[str, str], names: list[str]) -> None:
    """Java params -> argv as the launcher builds it -> ``build_parser()`` -> ``MultiBackendTracker``
    holds exactly the backends ``names``, each with exactly the values Java produced (and its own
    defaults for the rest)."""
    args = build_parser().parse_args(launcher_argv(java, params))
    python = MultiBackendTracker(args)
    try:
        assert python.backend_names == names
        for name, backend in python.backends:
            produced = {key: value for key, value in params.items() if key.startswith(prefix_of(name))}
            defaults = dataclasses.asdict(backend.options_class())
            assert set(produced) <= set(defaults), f"{name}: Java produced options Python does not declare"
            held = held_options(name, backend)
            # Text options are held byte-for-byte; typed ones (stdout_every_n_steps) as the value Java wrote.
            held = {
                key: str(value) if key in produced and not isinstance(value, str) else value
                for key, value in held.items()
            }
            assert held == {**defaults, **produced}, name
    finally:
        python.close()
    assert params[SHARED_KEY] == ",".join(names)
    assert set(params) == {SHARED_KEY} | {
        key for key in params if any(key.startswith(prefix_of(name)) for name in names)
    }, "Java produced options of no enabled backend"


def assert_option_keys_follow_the_rules(java: SimpleNamespace, name: str, keys: set[str], what: str) -> None:
    """Every key is declared by the Python backend's dataclass, matches ``[a-z][a-z0-9_]*``, starts
    with the backend's prefix and names no secret (by Java's ``Secrets.isSecretKey`` and Python's
    ``is_secret_key``); ``what`` says where the keys come from, for messages."""
    declared = declared_options(name)
    for key in sorted(keys):
        assert OPTION_KEY.fullmatch(key), f"{name}: {what} {key!r} breaks [a-z][a-z0-9_]*"
        assert key.startswith(prefix_of(name)), f"{name}: {what} {key!r} lacks the prefix {prefix_of(name)!r}"
        assert key in declared, (
            f"{name}: {what} {key!r} is not declared by {registered_trackers()[name].__qualname__}'s options "
            f"(declared: {', '.join(sorted(declared)) or 'none'})"
        )
        assert not java.Secrets.isSecretKey(key), f"{name}: {what} {key!r} looks like a secret to Java"
        assert not is_secret_key(key), f"{name}: {what} {key!r} looks like a secret to Python"


CONTRACT_TESTS = Path("tests") / "contract" / "test_java_python_contract.py"
_VERBOSE_OUTCOME = re.compile(r"^(\S+?)::(\w+)(?:\[(.*?)\])? (PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)", re.MULTILINE)


def run_contract_tests(root: Path, env: Mapping[str, str], basetemp: Path) -> dict[tuple[str, str], str]:
    """Runs ``root``'s contract tests in a pytest of their own (their own JVM and registries, as
    ``env`` sets them up); asserts that they pass and returns (test, case id) -> outcome."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", f"--basetemp={basetemp}", str(CONTRACT_TESTS)],
        cwd=root,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    outcomes = {(test, case or ""): outcome for _, test, case, outcome in _VERBOSE_OUTCOME.findall(result.stdout)}
    assert outcomes, result.stdout[-3000:]
    return outcomes


def assert_every_per_backend_test_covers(outcomes: dict[tuple[str, str], str], name: str, like: str) -> None:
    """Every test that has a case for backend ``like`` (a built-in) has a passed case for ``name`` too,
    and the all-backends cases passed."""
    per_backend = sorted({test for test, case in outcomes if case == like})
    assert per_backend, f"no test has a case {like!r}: {sorted(outcomes)}"
    missing = [test for test in per_backend if outcomes.get((test, name)) != "PASSED"]
    assert not missing, f"{name} is not a passed case of {', '.join(missing)}"
    assert all(outcome == "PASSED" for (_, case), outcome in outcomes.items() if case == "ALL")
