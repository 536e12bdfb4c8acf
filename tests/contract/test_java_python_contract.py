"""The Java and Python halves of every backend agree: names, options, values and config errors.

Driven through JPype (one JVM per session): the real ``TrackerFactory``, trackers and
``TrainingLauncher.pythonArguments`` on the Java side; ``build_parser``, ``MultiBackendTracker``
and ``mlpipelines.config`` on the Python side; a real MLflow server where a run id is needed.
"""

from __future__ import annotations

import dataclasses

import pytest
import yaml

from contract_checks import (assert_option_keys_follow_the_rules, java_classes, java_map,
                             python_backends_from_java)
from mlpipelines import bridge
from mlpipelines.config import TrackingConfigError, is_secret_key, load_tracking_config
from mlpipelines.tracking import registered_trackers
from mlpipelines.tracking.base import ConfigKey

# Parametrized over the Java enum itself, so a new constant is covered without editing this file.
ENUM_NAMES = [str(constant.name()) for constant in java_classes().TrackingBackend.values()]
EXPERIMENT_NAME = 'it\'s "a" name ü 数字'
CONFIG_KEY_KINDS = {"text", "name", "path", "run_statuses"}
UNSET_VARIABLE = "MLPIPELINES_CONTRACT_TEST_UNSET"


def backend_sections(directory, mlflow_url):
    """A tracking.yaml section per built-in backend, with values that are hard to pass on argv.

    A backend not listed here gets an empty section (its defaults).
    """
    return {
        "STDOUT": {"experiment_name": EXPERIMENT_NAME},
        "MLFLOW": {"experiment_name": EXPERIMENT_NAME, "tracking_uri": mlflow_url},
        "CSV": {"dir": str(directory / "csv runs, 'quoted' ü")},
        "TENSORBOARD": {"log_dir": str(directory / 'tb "runs" 数字 --not-an-option')},
    }


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A temporary working directory; the Python MLflow spool goes there too."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLPIPELINES_SPOOL_DIR", str(tmp_path / "spool"))
    return tmp_path


@pytest.mark.parametrize("names", [[name] for name in ENUM_NAMES] + [ENUM_NAMES], ids=ENUM_NAMES + ["ALL"])
def test_java_params_build_exactly_the_matching_python_backends(java, names, workdir, request):
    mlflow_url = request.getfixturevalue("mlflow_server").url if "MLFLOW" in names else None
    sections = backend_sections(workdir, mlflow_url)
    tracking_file = workdir / "tracking.yaml"
    tracking_file.write_text(yaml.safe_dump(
        {"backends": {name.lower(): sections.get(name, {}) for name in names}}, allow_unicode=True, sort_keys=False),
        encoding="utf-8")

    tracker = java.TrackerFactory.createTracker(java.TrackerFactory.loadConfig(java.Path.of(str(tracking_file), [])))
    try:
        tracker.startNewRun()
        params = python_backends_from_java(java, tracker, names)
        tracker.endRun(java.RunStatus.FINISHED)
    finally:
        tracker.close()

    for name in names:
        if "experiment_name" in sections.get(name, {}):
            assert params[f"{name.lower()}_experiment_name"] == EXPERIMENT_NAME
    if "MLFLOW" in names:
        assert params["mlflow_run_id"] and params["mlflow_experiment_id"]
    for name in {"CSV", "TENSORBOARD"} & set(names):
        assert params[f"{name.lower()}_run_name"] == "run_1"
    # The Python loader reads the same file into the option values Java passes.
    python_options = load_tracking_config(tracking_file).python_options()
    assert python_options.pop("tracking_backends") == tuple(names)
    assert python_options == {key: params[key] for key in python_options}
    assert_option_keys_follow_the_rules(java, {
        name: {key for key in params if key.startswith(name.lower() + "_")} for name in names})


def test_every_java_backend_has_a_python_backend_and_back(java):
    java_names = [str(name) for name in java.TrackingBackends.discover().names()]
    assert set(ENUM_NAMES) <= set(java_names)
    assert sorted(java_names) == sorted(registered_trackers())


def test_python_declared_options_follow_the_rules(java):
    assert_option_keys_follow_the_rules(java, {
        name: {field.name for field in dataclasses.fields(cls.options_class)}
        for name, cls in registered_trackers().items()})


def test_python_declares_the_tracking_yaml_keys_java_accepts(java):
    for provider in java.TrackingBackends.discover().all():
        name = str(provider.name())
        cls = registered_trackers()[name]
        assert cls.config_keys is not None, f"{name}: {cls.__qualname__}.config_keys is not declared"
        assert set(cls.config_keys) == {str(key) for key in provider.configKeys()}, name
        options = {field.name for field in dataclasses.fields(cls.options_class)}
        for key, config_key in cls.config_keys.items():
            assert isinstance(config_key, ConfigKey), f"{name}.{key}"
            assert config_key.kind in CONFIG_KEY_KINDS, f"{name}.{key}: kind {config_key.kind!r}"
            assert config_key.option is None or config_key.option in options, f"{name}.{key}"


def test_python_secret_key_rule_is_javas(java):
    options = [field.name for cls in registered_trackers().values()
               for field in dataclasses.fields(cls.options_class)]
    samples = ["password", "db_password", "MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_PASSWORD", "token",
               "auth", "x.auth", "oauth", "author", "tokenizer_vocab_size", "token_count", "pwd", "my-pwd-file",
               "api_key", "apiKey", "ACCESS-KEY", "private_key", "credentials", "secretary", "user", "passwd",
               "learning_rate", "Auth_Header"]
    for key in samples + options:
        assert is_secret_key(key) == bool(java.Secrets.isSecretKey(key)), key


# (id, tracking.yaml text, key path both sides must name, whether the problem text is identical too)
BAD_CONFIGS = [
    ("empty-file", "", "", True),
    ("malformed-yaml", "backends: [stdout\n", "", False),
    ("top-level-list", "- stdout\n- csv\n", "", True),
    ("unknown-backend", "backends:\n  wandb: {}\n", "backends.wandb", False),
    ("unknown-key-in-backend", "backends:\n  stdout:\n    experiment: x\n", "backends.stdout.experiment", True),
    ("unknown-key-any-case", "backends:\n  Csv:\n    dirr: x\n", "backends.Csv.dirr", True),
    ("list-for-string", "backends:\n  csv:\n    dir: [a, b]\n", "backends.csv.dir", True),
    ("invalid-regex", "backends:\n  stdout:\nparam_blacklist: ['ok', '(']\n", "param_blacklist[1]", False),
    ("invalid-clean-up-status", "backends:\n  mlflow:\n    clean_up: [FAILED, DONE]\n",
     "backends.mlflow.clean_up[1]", True),
    ("missing-env-variable", f"backends:\n  mlflow:\n    tracking_uri: http://${{{UNSET_VARIABLE}}}/\n",
     "backends.mlflow.tracking_uri", True),
    ("unknown-top-level-key", "backend:\n  stdout:\n", "backend", True),
    ("section-not-a-mapping", "backends:\n  csv: runs\n", "backends.csv", True),
    ("tag-value-list", "backends:\n  stdout:\ntags: {team: [a]}\n", "tags.team", True),
    ("clean-up-not-a-list", "backends:\n  mlflow:\n    clean_up: FAILED\n", "backends.mlflow.clean_up", True),
    ("backend-twice", "backends:\n  csv:\n  CSV:\n", "backends.CSV", True),
    ("duplicate-key", "backends:\n  stdout:\n  stdout:\n", "", False),
    ("object-tag", "backends: !!python/object/apply:os.system [true]\n", "", False),
]


@pytest.mark.parametrize("text, key_path, same_problem", [case[1:] for case in BAD_CONFIGS],
                         ids=[case[0] for case in BAD_CONFIGS])
def test_both_sides_reject_a_bad_config_at_the_same_key_path(java, text, key_path, same_problem, tmp_path,
                                                             monkeypatch, capfd):
    monkeypatch.delenv(UNSET_VARIABLE, raising=False)
    tracking_file = tmp_path / "tracking.yaml"
    tracking_file.write_text(text, encoding="utf-8")

    with pytest.raises(bridge.ConfigError) as java_error:
        bridge.load_tracking_config(tracking_file)
    with pytest.raises(TrackingConfigError) as python_error:
        load_tracking_config(tracking_file)

    assert java_error.value.key_path == key_path, java_error.value
    assert python_error.value.key_path == key_path, python_error.value
    assert python_error.value.file == java_error.value.file == str(tracking_file)
    prefix = f"{tracking_file}: {key_path}: " if key_path else f"{tracking_file}: "
    assert str(python_error.value).startswith(prefix) and str(java_error.value).startswith(prefix)
    if same_problem:
        assert python_error.value.problem == java_error.value.problem

    capfd.readouterr()
    assert bridge.run_command(["check-config", str(tracking_file)]) == 2
    output = capfd.readouterr()
    assert (output.out, output.err) == ("", f"mlpipelines: {java_error.value}\n")


def test_both_sides_accept_the_same_good_config(java, tmp_path, monkeypatch):
    monkeypatch.setenv("CONTRACT_EXPERIMENT", "from-env")
    tracking_file = tmp_path / "tracking.yaml"
    tracking_file.write_text(
        "backends:\n"
        "  StdOut:\n"
        "    experiment_name: ${CONTRACT_EXPERIMENT}-1\n"
        "  mlflow:\n"
        "    experiment_name: 2024\n"
        "    clean_up: [failed, KILLED]\n"
        "  csv:\n"
        "param_blacklist: ['_.*', '.*password.*']\n"
        "tags: {team: vision, reviewed: true, empty: }\n", encoding="utf-8")
    loader = java.TrackingConfigLoader(java.TrackingBackends.discover(),
                                       lambda variable: {"CONTRACT_EXPERIMENT": "from-env"}.get(variable))
    java_config = loader.load(java.Path.of(str(tracking_file), []))
    python_config = load_tracking_config(tracking_file)

    assert [backend.name for backend in python_config.backends] == \
        [str(backend.name()) for backend in java_config.backends()]
    assert python_config.tags == java_map(java_config.tags()) == {"team": "vision", "reviewed": "true", "empty": ""}
    assert [pattern.pattern for pattern in python_config.param_blacklist] == \
        [str(pattern.pattern()) for pattern in java_config.paramBlacklist()]
    java_settings = {str(backend.name()): java_map(backend.config().settings()) for backend in java_config.backends()}
    assert python_config.backends[0].settings == {"experiment_name": "from-env-1"}
    assert java_settings["STDOUT"] == {"experiment_name": "from-env-1"}
    assert python_config.backends[1].settings == {"experiment_name": "2024", "clean_up": ["FAILED", "KILLED"]}
    assert java_settings["MLFLOW"]["experiment_name"] == "2024"
    assert java_settings["MLFLOW"]["clean_up"] == "[FAILED, KILLED]"
    assert python_config.warnings == [] and list(java_config.warnings()) == []


def test_both_sides_warn_about_a_literal_secret(java, tmp_path):
    tracking_file = tmp_path / "tracking.yaml"
    tracking_file.write_text("backends:\n  stdout:\ntags: {api_key: abc123, token: '${TOKEN}'}\n",
                             encoding="utf-8")
    loader = java.TrackingConfigLoader(java.TrackingBackends.discover(), lambda variable: "set")
    java_warnings = [str(warning) for warning in loader.load(java.Path.of(str(tracking_file), [])).warnings()]
    python_warnings = load_tracking_config(tracking_file, environ={"TOKEN": "set"}).warnings
    assert python_warnings == java_warnings == [
        f"{tracking_file}: tags.api_key: holds a literal secret; reference an environment variable instead, "
        f"e.g. ${{API_KEY}}"]
