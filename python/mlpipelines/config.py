"""tracking.yaml, read and validated in Python with the same rules and messages as Java.

The Java ``TrackingConfigLoader`` is the reference; this module follows it rule by rule so that
a file is accepted or rejected alike on both sides, with an error naming the same key path
(``tracking.yaml: backends.mlflow.clean_up[1]: 'DONE' is not a run status; expected one of
RUNNING, SCHEDULED, FINISHED, FAILED, KILLED``). Backend names come from the Python registry
(built-ins and ``mlpipelines.trackers`` entry points); what a backend's section may hold comes
from its tracker class's ``config_keys``.

It needs no JVM, so a script can take its option defaults from a tracking.yaml::

    config = load_tracking_config("tracking.yaml")
    parser = build_parser()
    parser.set_defaults(**config.python_options())
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from mlpipelines.tracking import TrackingError, registered_trackers, tracker_class
from mlpipelines.tracking.base import RUN_STATUSES, RunTracker
from mlpipelines.tracking.redaction import is_secret_key

TOP_LEVEL_KEYS = ("backends", "param_blacklist", "tags")
_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)}")


class TrackingConfigError(ValueError):
    """A tracking.yaml that cannot be used.

    Attributes:
        file: the file as the caller named it.
        key_path: where in the file (``backends.mlflow.clean_up[1]``); empty for the whole file.
        problem: what is wrong and what was expected.
    """

    def __init__(self, file: str, key_path: str, problem: str):
        super().__init__(f"{file}: {key_path}: {problem}" if key_path else f"{file}: {problem}")
        self.file = file
        self.key_path = key_path
        self.problem = problem


@dataclass(frozen=True)
class BackendSettings:
    """One enabled backend.

    Attributes:
        name: the registered name (``MLFLOW``), whatever case the file used.
        settings: yaml key -> validated value (a string, or a list for ``run_statuses`` keys),
            only the keys present in the file.
        options: command-line option -> value for the keys that set an option
            (``{"mlflow_experiment_name": "digits"}``); paths are absolute, as Java passes them.
    """

    name: str
    settings: dict[str, str | list[str]]
    options: dict[str, str | list[str]]


@dataclass(frozen=True)
class TrackingConfig:
    """A validated tracking.yaml.

    Attributes:
        file: the file as the caller named it.
        backends: the enabled backends in file order.
        param_blacklist: compiled regexes; a param whose key matches one anywhere is not logged.
        tags: manual tags, name -> value.
        warnings: complaints that do not stop a run (a literal secret), already phrased.
    """

    file: str
    backends: list[BackendSettings] = field(default_factory=list)
    param_blacklist: list[re.Pattern[str]] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def python_options(self) -> dict[str, object]:
        """``tracking_backends`` plus every option the file sets, for ``parser.set_defaults``."""
        options: dict[str, object] = {"tracking_backends": tuple(backend.name for backend in self.backends)}
        for backend in self.backends:
            options.update(backend.options)
        return options


def load_tracking_config(path: str | os.PathLike[str], environ: Mapping[str, str] | None = None) -> TrackingConfig:
    """Reads and validates a tracking.yaml file.

    Args:
        path: the file; messages name it as given.
        environ: looks up ``${VAR}`` references (default ``os.environ``).

    Raises:
        TrackingConfigError: naming the file, the key path and what was expected.
    """
    name = os.fspath(path)
    if os.path.isdir(name):
        raise TrackingConfigError(name, "", "is a directory; expected a YAML file")
    if not os.path.isfile(name):
        raise TrackingConfigError(name, "", "no such file")
    try:
        with open(name, "rb") as stream:
            data = stream.read()
    except OSError as error:
        raise TrackingConfigError(name, "", f"cannot be read: {error.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise TrackingConfigError(name, "", "is not UTF-8 text") from None
    return parse_tracking_config(text, name, environ)


def parse_tracking_config(text: str, name: str, environ: Mapping[str, str] | None = None) -> TrackingConfig:
    """Validates YAML text; ``name`` stands for the file in messages. See ``load_tracking_config``."""
    top = _Section(name, "", _parse_yaml(text, name), os.environ if environ is None else environ)
    top.reject_unknown_keys(TOP_LEVEL_KEYS)
    warnings: list[str] = []
    _collect_literal_secrets(top, warnings)

    backends_section = top.section("backends")
    if not backends_section.names():
        names = ", ".join(registered_trackers()).lower()
        raise top.error("backends", f"no backend is enabled; expected a mapping with at least one of {names}")
    enabled = {}
    for written_name in backends_section.names():
        try:
            cls = tracker_class(written_name)
        except TrackingError:
            raise TrackingConfigError(
                name,
                backends_section.path_of(written_name),
                f"'{written_name}' is not a tracking backend; expected one of {', '.join(registered_trackers())}",
            ) from None
        backend_name = written_name.strip().upper()
        if backend_name in enabled:
            raise backends_section.error(written_name, f"backend {backend_name} is configured twice")
        enabled[backend_name] = _backend_settings(backend_name, cls, backends_section.section(written_name))

    blacklist = []
    for index, pattern in enumerate(top.string_list("param_blacklist")):
        try:
            blacklist.append(re.compile(pattern))
        except re.error as error:
            raise TrackingConfigError(
                name, f"param_blacklist[{index}]", f"'{pattern}' is not a valid regular expression: {error}"
            ) from None
    tags = top.string_map("tags")
    return TrackingConfig(name, list(enabled.values()), blacklist, tags, warnings)


def _backend_settings(name: str, cls: type[RunTracker], section: _Section) -> BackendSettings:
    declared = cls.config_keys
    if declared is None:
        # A backend that declares nothing: only its Java half knows what the section may hold.
        return BackendSettings(name, {key: section.raw(key) for key in section.names()}, {})
    section.reject_unknown_keys(declared)
    settings, options = {}, {}
    for key, config_key in declared.items():
        if not section.has(key):
            continue
        value = _typed_value(section, key, config_key.kind)
        settings[key] = value
        if config_key.option is not None:
            options[config_key.option] = value
    return BackendSettings(name, settings, options)


def _typed_value(section: _Section, key: str, kind: str) -> str | list[str]:
    if kind == "run_statuses":
        statuses = []
        for index, status in enumerate(section.string_list(key)):
            normalized = status.strip().upper()
            if normalized not in RUN_STATUSES:
                raise TrackingConfigError(
                    section.file,
                    f"{section.path_of(key)}[{index}]",
                    f"'{status}' is not a run status; expected one of {', '.join(RUN_STATUSES)}",
                )
            if normalized not in statuses:
                statuses.append(normalized)
        return statuses
    value = section.string(key)
    if kind == "text":
        return value
    if not value.strip():
        expected = "a directory path" if kind == "path" else "a non-empty string"
        raise section.error(key, f"is empty; expected {expected}")
    if kind == "path":
        if "\0" in value:
            raise section.error(key, f"'{value}' is not a valid path: Nul character not allowed")
        return os.path.abspath(value)
    return value


def _collect_literal_secrets(section: _Section, warnings: list[str]) -> None:
    for key in section.names():
        raw = section.raw(key)
        if isinstance(raw, dict):
            _collect_literal_secrets(section.section(key), warnings)
        elif isinstance(raw, str) and is_secret_key(key) and not _only_environment_references(raw):
            warnings.append(
                f"{section.file}: {section.path_of(key)}: holds a literal secret; reference an "
                f"environment variable instead, e.g. ${{{key.upper()}}}"
            )


def _only_environment_references(value: str) -> bool:
    return bool(value.strip()) and not _ENV_REFERENCE.sub("", value).strip()


class _StrictSafeLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that rejects a key given twice in one mapping, as SnakeYAML is set up to."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:
                continue  # an unhashable key is rejected by construct_mapping itself
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark, f"found duplicate key {key}", key_node.start_mark
                )
        return super().construct_mapping(node, deep)


def _parse_yaml(text: str, name: str) -> dict[str, Any]:
    try:
        document = yaml.load(text, Loader=_StrictSafeLoader)
    except yaml.constructor.ConstructorError as error:
        if error.problem and error.problem.startswith("found duplicate key"):
            raise TrackingConfigError(
                name, "", f"malformed YAML: {_position(error.problem_mark)}{error.problem}"
            ) from None
        raise TrackingConfigError(
            name,
            "",
            f"{_position(error.problem_mark)}only plain mappings, lists and "
            f"scalars are allowed; {_first_line(error.problem)} (YAML tags "
            f"that construct objects are rejected)",
        ) from None
    except yaml.MarkedYAMLError as error:
        context = f" ({error.context})" if error.context else ""
        raise TrackingConfigError(
            name, "", f"malformed YAML: {_position(error.problem_mark)}{_first_line(error.problem)}{context}"
        ) from None
    except yaml.YAMLError as error:
        raise TrackingConfigError(name, "", f"malformed YAML: {_first_line(str(error))}") from None
    if document is None:
        raise TrackingConfigError(name, "", "is empty; expected a mapping")
    if not isinstance(document, dict):
        raise TrackingConfigError(name, "", f"expected a mapping at the top level, got {_describe(document)}")
    for key in document:
        if not isinstance(key, str):
            raise TrackingConfigError(name, "", f"top-level keys must be strings, got {_describe(key)}")
    return document


def _position(mark: yaml.Mark | None) -> str:
    return "" if mark is None else f"line {mark.line + 1}, column {mark.column + 1}: "


def _first_line(text: str | None) -> str:
    return (text or "").split("\n", 1)[0]


def _describe(value: object) -> str:
    """A YAML value's type for messages, in Java's words (``a boolean (true)``)."""
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    if isinstance(value, str):
        return "a string"
    return f"a {type(value).__name__}"


class _Section:
    """A mapping of the file with typed accessors; the Python twin of Java's ``ConfigSection``."""

    def __init__(self, file: str, path: str, values: dict[str, Any] | None, environ: Mapping[str, str]) -> None:
        self.file = file
        self.path = path
        self.values = values or {}
        self.environ = environ

    def path_of(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def names(self) -> list[str]:
        return list(self.values)

    def raw(self, key: str) -> Any:
        return self.values.get(key)

    def has(self, key: str) -> bool:
        return self.values.get(key) is not None

    def error(self, key: str | None, problem: str) -> TrackingConfigError:
        return TrackingConfigError(self.file, self.path if key is None else self.path_of(key), problem)

    def reject_unknown_keys(self, known: Iterable[str]) -> None:
        for key in self.values:
            if key not in known:
                raise self.error(key, f"unknown key; expected one of {', '.join(sorted(known))}")

    def string(self, key: str, default: str = "") -> str:
        return self._scalar_to_string(self.values[key], self.path_of(key)) if self.has(key) else default

    def string_list(self, key: str) -> list[str]:
        if not self.has(key):
            return []
        value = self.values[key]
        if not isinstance(value, list):
            raise self.error(key, f"expected a list of strings, got {_describe(value)}")
        return [self._scalar_to_string(item, f"{self.path_of(key)}[{index}]") for index, item in enumerate(value)]

    def string_map(self, key: str) -> dict[str, str]:
        section = self.section(key)
        return {name: section.string(name) for name in section.names()}

    def section(self, key: str) -> _Section:
        value = self.values.get(key)
        if value is None:
            return _Section(self.file, self.path_of(key), {}, self.environ)
        if not isinstance(value, dict):
            raise self.error(key, f"expected a mapping, got {_describe(value)}")
        for name in value:
            if not isinstance(name, str):
                raise self.error(key, f"keys must be strings, got {_describe(name)}")
        return _Section(self.file, self.path_of(key), value, self.environ)

    def _scalar_to_string(self, value: object, key_path: str) -> str:
        if isinstance(value, str):
            return self._resolve_environment(value, key_path)
        if isinstance(value, bool):
            return str(value).lower()
        if isinstance(value, (int, float)):
            return str(value)
        raise TrackingConfigError(self.file, key_path, f"expected a string, got {_describe(value)}")

    def _resolve_environment(self, value: str, key_path: str) -> str:
        def replace(match: re.Match[str]) -> str:
            variable = match.group(1)
            replacement = self.environ.get(variable)
            if replacement is None:
                raise TrackingConfigError(
                    self.file, key_path, f"environment variable {variable} is not set (referenced as ${{{variable}}})"
                )
            return replacement

        return _ENV_REFERENCE.sub(replace, value)
