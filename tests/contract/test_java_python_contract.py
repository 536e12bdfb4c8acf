"""The Java and Python halves of every backend agree: names, options, values, and the rules both hold.

Driven through JPype (one JVM per session): the real Java registry, config records, trackers,
``TrainingLauncher.pythonArguments`` and ``TrackingConfig.pythonDefaults()``; ``build_parser`` and
``MultiBackendTracker`` on the Python side; a real MLflow server where a run id is needed. Every
per-backend test is parametrized from the two registries, so a new built-in backend and a backend
installed from outside the tree (entry point + ServiceLoader provider) are cases without an edit.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import threading
from pathlib import Path

import pytest
import yaml

from bad_inputs import TRACKING_CASES
from contract_checks import (
    EXPERIMENT_NAME,
    SHARED_KEY,
    assert_option_keys_follow_the_rules,
    assert_python_backends_hold,
    backend_names,
    declared_options,
    default_config,
    hard_section,
    java_map,
    java_providers,
    launcher_argv,
    needs_mlflow_server,
    prefix_of,
)
from mlpipelines import bridge, cli
from mlpipelines.tracking import MultiBackendTracker, build_parser, registered_trackers
from mlpipelines.tracking.base import END_STATUSES, RUN_STATUSES, refuse_escaping_links
from mlpipelines.tracking.redaction import is_secret_key, stored_value
from mlpipelines.tracking.rundirs import MAX_CLAIM_ATTEMPTS, claim_run_directory
from mlpipelines.tracking.suggestions import closest

ROOT = Path(__file__).resolve().parents[2]
JAVA_LAUNCHER = ROOT / "build" / "install" / "mlpipelines" / "bin" / "mlpipelines"
EVERY_NAME, BOTH_NAMES = backend_names()
UNSET_VARIABLE = "MLPIPELINES_CONTRACT_TEST_UNSET"


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A temporary working directory; the Python MLflow spool goes there too."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLPIPELINES_SPOOL_DIR", str(tmp_path / "spool"))
    return tmp_path


def write_tracking_file(path: Path, sections: dict[str, dict[str, str]]) -> Path:
    path.write_text(
        yaml.safe_dump({"backends": sections}, allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("name", EVERY_NAME)
def test_the_backend_has_both_halves(java, name):
    java_provider = java_providers(java).get(name)
    python_class = registered_trackers().get(name)
    if java_provider is None:
        # The MontiCore guide's route: a Python backend that declares no options reads the whole
        # namespace and may live without a Java half.
        assert python_class.options_class is None, (
            f"{name}: the Python backend {python_class.__module__}.{python_class.__qualname__} has no Java half; "
            f"add a TrackingBackend constant or a TrackingBackendProvider named {name}"
        )
    else:
        assert python_class is not None, (
            f"{name}: the Java backend {java_provider.trackerClass().getName()} has no Python half; "
            f"register a Python RunTracker under {name}"
        )


@pytest.mark.parametrize("name", BOTH_NAMES)
def test_the_default_python_options_are_declared_by_the_python_backend(java, name):
    config = default_config(java, java_providers(java)[name])
    options = java_map(config.pythonOptions())
    assert_option_keys_follow_the_rules(java, name, set(options), "pythonOptions() key")


@pytest.mark.parametrize("name", [name for name, cls in registered_trackers().items() if cls.options_class is not None])
def test_the_python_declared_options_follow_the_rules(java, name):
    assert_option_keys_follow_the_rules(java, name, declared_options(name), "declared option")


@pytest.mark.parametrize("names", [[name] for name in BOTH_NAMES] + [BOTH_NAMES], ids=[*BOTH_NAMES, "ALL"])
def test_java_params_build_exactly_the_matching_python_backends(java, names, workdir, request):
    providers = java_providers(java)
    server_needed = any(needs_mlflow_server(providers[name]) for name in names)
    mlflow_url = request.getfixturevalue("mlflow_server").url if server_needed else None
    sections = {name: hard_section(providers[name], workdir, mlflow_url) for name in names}
    tracking_file = write_tracking_file(
        workdir / "tracking.yaml", {name.lower(): section for name, section in sections.items()}
    )

    tracker = java.TrackerFactory.createTracker(java.TrackerFactory.loadConfig(java.Path.of(str(tracking_file), [])))
    try:
        tracker.startNewRun()
        params = java_map(tracker.getPythonParams())
        for name in names:
            produced = {key for key in params if key.startswith(prefix_of(name))}
            assert produced, f"{name}: Java produced no option for a started run"
            assert_option_keys_follow_the_rules(java, name, produced, "getPythonParams() key")
        assert_python_backends_hold(java, params, names)
        tracker.endRun(java.RunStatus.FINISHED)
    finally:
        tracker.close()

    for name in names:
        if "experiment_name" in sections[name]:
            assert params[f"{prefix_of(name)}experiment_name"] == EXPERIMENT_NAME


@pytest.mark.parametrize("names", [[name] for name in BOTH_NAMES] + [BOTH_NAMES], ids=[*BOTH_NAMES, "ALL"])
def test_the_generated_scripts_defaults_parse_into_the_same_values(java, names, workdir):
    providers = java_providers(java)
    sections = {name.lower(): hard_section(providers[name], workdir, None) for name in names}
    tracking_file = write_tracking_file(workdir / "tracking.yaml", sections)
    defaults = java_map(java.TrackerFactory.loadConfig(java.Path.of(str(tracking_file), [])).pythonDefaults())
    assert defaults[SHARED_KEY] == ",".join(names)
    for name in names:
        options = {key for key in defaults if key.startswith(prefix_of(name))}
        assert_option_keys_follow_the_rules(java, name, options, "pythonDefaults() key")

    from_argv = build_parser().parse_args(launcher_argv(java, defaults))
    # The generated script sets them as parser defaults, tracking_backends already parsed (TRACKING_DEFAULTS).
    parser = build_parser()
    parser.set_defaults(**{**defaults, SHARED_KEY: tuple(names)})
    from_script = parser.parse_args([])
    for args in (from_argv, from_script):
        assert args.tracking_backends == tuple(names)
        # Text options arrive byte-for-byte; typed ones (stdout_every_n_steps) as the value Java wrote.
        assert {key: str(getattr(args, key)) for key in defaults if key != SHARED_KEY} == {
            key: value for key, value in defaults.items() if key != SHARED_KEY
        }


def test_the_secret_key_rule_is_the_same_in_both_languages(java):
    samples = [
        "password", "db_password", "DB-Password", "passwords", "passwd", "MLFLOW_TRACKING_TOKEN",
        "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_USERNAME", "token", "tokens", "_token", "token_",
        "my.token.value", "auth", "AUTH", "x.auth", "re-auth", "oauth", "oauth_token", "author", "authority",
        "tokenizer_vocab_size", "token_count", "pwd", "pwds", "my-pwd-file", "api_key", "apiKey", "ApiKey",
        "x-api-key", "apikeys", "ACCESS-KEY", "accesskey", "private_key", "privatekey", "credentials",
        "credential", "client_secret", "SECRET", "secretary", "user", "learning_rate", "Auth_Header", "",
        "_", "token\n", "x\npassword", "pass word", "ü_token", "数字_password", "tok_en",
    ]  # fmt: skip
    options = [option for name in registered_trackers() for option in declared_options(name)]
    for key in samples + options:
        assert is_secret_key(key) == bool(java.Secrets.isSecretKey(key)), repr(key)


def test_both_languages_store_the_same_masked_values_and_suggest_the_same_names(java):
    """The rule for what a backend stores (Secrets.storedValue / stored_value) and the closest-name rule
    (Suggestions / suggestions.py) give the same answers in both languages."""
    stored_value_java = bridge.java_class("de.monticore.mlpipelines.tracking.secret.Secrets").storedValue
    for key, value in [("api_token", "${API_KEY}"), ("team", "vision"), ("db_password", ""), ("author", "me")]:
        assert stored_value(key, value) == str(stored_value_java(key, value)), key
    suggestions = bridge.java_class("de.monticore.mlpipelines.tracking.config.Suggestions")
    list_class = bridge.java_class("java.util.List")
    names = [*registered_trackers(), "tracking_uri", "experiment_name", "run", "replay", "check-config", "log_dir"]
    for typo in ["mlfow", "CVS", "tensorbaord", "trackinguri", "experimentname", "rn", "chek-config", "x", "wandb",
                 "logdir", "stdot", "ab", "", "TENSORBOARDS", "repaly"]:  # fmt: skip
        java_answer = suggestions.closest(typo, list_class.of(names))
        assert closest(typo, names) == (str(java_answer.get()) if java_answer.isPresent() else None), typo


@pytest.mark.parametrize(
    "key",
    ["\u017fecret", "api_\u212aey", "x\u2028password", "x\rpassword", "\u0130_token", "AUTH\u0085"],
    ids=["long-s", "kelvin-sign", "line-separator", "carriage-return", "dotted-capital-i", "next-line"],
)
def test_the_secret_key_rule_folds_case_alike_beyond_ascii(java, key):
    assert is_secret_key(key) == bool(java.Secrets.isSecretKey(key))


def test_the_run_statuses_are_the_same_in_both_languages(java):
    statuses = list(java.RunStatus.values())
    assert tuple(str(status.name()) for status in statuses) == RUN_STATUSES
    assert tuple(str(status.name()) for status in statuses if status.isTerminal()) == END_STATUSES


def test_run_directories_claimed_by_both_languages_are_distinct_and_consecutive(java, tmp_path):
    field = java.RunDirectories.class_.getDeclaredField("MAX_ATTEMPTS")
    field.setAccessible(True)
    assert int(field.getInt(None)) == MAX_CLAIM_ATTEMPTS
    assert str(java.RunDirectories.RUN_PREFIX) == "run_"

    parent = tmp_path / "runs"
    parent.mkdir()
    # Names neither language counts, and a file that blocks its number in both.
    for decoy in ("run_1234567890", "run_7a", "xrun_50", "run_", "run_-9", "run_٣"):
        (parent / decoy).mkdir()
    (parent / "run_3").write_text("not a directory, still taken")

    def claim_in_java() -> str:
        return str(java.RunDirectories.claimNext(java.Path.of(str(parent), []), "backends.csv.dir").getFileName())

    def claim_in_python() -> str:
        return Path(claim_run_directory(str(parent))).name

    interleaved = [(claim_in_java if turn % 3 else claim_in_python)() for turn in range(9)]
    assert interleaved == [f"run_{number}" for number in range(4, 13)]

    # Both languages at once, from threads of this process: no run is claimed twice, none is skipped.
    claimed: list[str] = []
    lock = threading.Lock()

    def claim_many(claim) -> None:
        for _ in range(15):
            name = claim()
            with lock:
                claimed.append(name)

    threads = [threading.Thread(target=claim_many, args=(claim,)) for claim in (claim_in_java, claim_in_python) * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert sorted(claimed, key=lambda name: int(name[4:])) == [f"run_{number}" for number in range(13, 73)]


# (id, tracking.yaml text, the key path Java names; empty for the whole file)
BAD_CONFIGS = [
    ("empty-file", "", ""),
    ("malformed-yaml", "backends: [stdout\n", ""),
    ("top-level-list", "- stdout\n- csv\n", ""),
    ("unknown-backend", "backends:\n  neptune: {}\n", "backends.neptune"),
    ("unknown-key-in-backend", "backends:\n  stdout:\n    experiment: x\n", "backends.stdout.experiment"),
    ("unknown-key-any-case", "backends:\n  Csv:\n    dirr: x\n", "backends.Csv.dirr"),
    ("list-for-string", "backends:\n  csv:\n    dir: [a, b]\n", "backends.csv.dir"),
    ("invalid-regex", "backends:\n  stdout:\nparam_blacklist: ['ok', '(']\n", "param_blacklist[1]"),
    ("invalid-clean-up-status", "backends:\n  mlflow:\n    clean_up: [FAILED, DONE]\n", "backends.mlflow.clean_up[1]"),
    (
        "missing-env-variable",
        f"backends:\n  mlflow:\n    tracking_uri: http://${{{UNSET_VARIABLE}}}/\n",
        "backends.mlflow.tracking_uri",
    ),
    ("unknown-top-level-key", "backend:\n  stdout:\n", "backend"),
    ("section-not-a-mapping", "backends:\n  csv: runs\n", "backends.csv"),
    ("tag-value-list", "backends:\n  stdout:\ntags: {team: [a]}\n", "tags.team"),
    ("clean-up-not-a-list", "backends:\n  mlflow:\n    clean_up: FAILED\n", "backends.mlflow.clean_up"),
    ("backend-twice", "backends:\n  csv:\n  CSV:\n", "backends.CSV"),
    ("duplicate-key", "backends:\n  stdout:\n  stdout:\n", ""),
    ("object-tag", "backends: !!python/object/apply:os.system [true]\n", ""),
    # The cases of issue 10 (tracking_uri, no lenient coercion, references, suggestions), also run by
    # test_bad_input.py through run/generate of both front doors.
    *[(name, text, key_path) for name, text, key_path, _problem in TRACKING_CASES],
]


@pytest.mark.parametrize("text, key_path", [case[1:] for case in BAD_CONFIGS], ids=[case[0] for case in BAD_CONFIGS])
def test_both_front_doors_reject_a_bad_config_with_the_same_message(text, key_path, tmp_path, monkeypatch, capfd):
    monkeypatch.delenv(UNSET_VARIABLE, raising=False)
    tracking_file = tmp_path / "tracking.yaml"
    tracking_file.write_text(text, encoding="utf-8")

    with pytest.raises(bridge.ConfigError) as error:
        bridge.load_tracking_config(tracking_file)
    assert error.value.key_path == key_path, error.value
    assert error.value.file == str(tracking_file)
    assert str(error.value).startswith(f"{tracking_file}: {key_path}: " if key_path else f"{tracking_file}: ")

    # The console script's entry point, in this process, and the Java launcher, in its own.
    capfd.readouterr()
    assert cli.main(["check-config", str(tracking_file)]) == 2
    output = capfd.readouterr()
    assert (output.out, output.err) == ("", f"mlpipelines: {error.value}\n")
    launcher = subprocess.run(
        [str(JAVA_LAUNCHER), "check-config", str(tracking_file)], capture_output=True, text=True, timeout=120
    )
    assert (launcher.returncode, launcher.stdout, launcher.stderr) == (2, output.out, output.err)


def test_the_registries_are_what_the_contract_walks(java):
    """The parametrization above is the registries' content: a guard against a stale module-level list."""
    assert (
        list(java_providers(java)) + [name for name in registered_trackers() if name not in java_providers(java)]
        == EVERY_NAME
    )
    assert {str(constant.name()) for constant in java.TrackingBackend.values()} <= set(BOTH_NAMES)


def test_both_halves_store_a_long_param_alike_in_mlflow(java, workdir, mlflow_server):
    """Over MLflow's 6000 characters: the full value as the artifact long_params/<key>.txt, the param its
    beginning and the same note, from Java (MLflowTracker.storeLongParam) and from Python (mlflow.py)."""
    import mlflow

    value = "ä" + "0123456789" * 700  # 7001 characters, one of them beyond ASCII
    key = "model/summary"
    tracking_file = write_tracking_file(
        workdir / "tracking.yaml",
        {"mlflow": {"tracking_uri": mlflow_server.url, "experiment_name": "long-params-java", "spool_dir": "spool"}},
    )
    tracker = java.TrackerFactory.createTracker(java.TrackerFactory.loadConfig(java.Path.of(str(tracking_file), [])))
    try:
        tracker.startNewRun()
        tracker.logParam(key, value)
        tracker.endRun(java.RunStatus.FINISHED)
    finally:
        tracker.close()
    args = argparse.Namespace(
        tracking_backends="MLFLOW",
        mlflow_tracking_uri=mlflow_server.url,
        mlflow_experiment_name="long-params-python",
        mlflow_spool_dir=str(workdir / "spool"),
    )
    with MultiBackendTracker(args) as python_tracker:
        python_tracker.log_params({key: value, "short": "kept"})

    client = mlflow.MlflowClient(mlflow_server.url)
    stored = {}
    for experiment_name in ("long-params-java", "long-params-python"):
        experiment = client.get_experiment_by_name(experiment_name)
        (run,) = client.search_runs([experiment.experiment_id])
        full = Path(client.download_artifacts(run.info.run_id, "long_params/model_summary.txt", str(workdir)))
        assert full.read_text(encoding="utf-8") == value
        stored[experiment_name] = run.data.params[key]
    assert stored["long-params-python"] == stored["long-params-java"]
    assert len(stored["long-params-python"]) == 6000
    assert stored["long-params-python"].endswith(
        "… [truncated: 7001 characters, full value in artifact long_params/model_summary.txt]"
    )
    assert value.startswith(stored["long-params-python"].split("…")[0])


def test_both_languages_refuse_the_same_escaping_links_with_the_same_message(tmp_path):
    """LocalArtifacts.refuseEscapingLinks and base.refuse_escaping_links: the same rule, the same words."""
    local_artifacts = bridge.java_class("de.monticore.mlpipelines.tracking.artifact.LocalArtifacts")
    java_file = bridge.java_class("java.io.File")
    tracking_exception = bridge.java_class("de.monticore.mlpipelines.tracking.TrackingException")
    os.symlink("/etc/passwd", tmp_path / "link")
    (tmp_path / "escaping" / "sub").mkdir(parents=True)
    os.symlink("/etc/passwd", tmp_path / "escaping" / "sub" / "secret")
    (tmp_path / "dangling").mkdir()
    os.symlink("/nonexistent/x", tmp_path / "dangling" / "gone")
    (tmp_path / "inside").mkdir()
    (tmp_path / "inside" / "weights.bin").write_text("w", encoding="utf-8")
    os.symlink("weights.bin", tmp_path / "inside" / "latest.bin")
    for name in ("link", "escaping", "dangling"):
        path = str(tmp_path / name)
        with pytest.raises(ValueError) as python_error:
            refuse_escaping_links(path)
        with pytest.raises(tracking_exception) as java_error:
            local_artifacts.refuseEscapingLinks(java_file(path))
        assert str(python_error.value) == str(java_error.value.getMessage()), name
    refuse_escaping_links(str(tmp_path / "inside"))
    local_artifacts.refuseEscapingLinks(java_file(str(tmp_path / "inside")))
