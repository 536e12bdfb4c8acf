"""The console script runs the Java command line in-process and behaves exactly like the Java launcher."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mlpipelines import bridge
from mlpipelines.tracking import registered_trackers

ROOT = Path(__file__).resolve().parents[2]
JAVA_LAUNCHER = ROOT / "build" / "install" / "mlpipelines" / "bin" / "mlpipelines"
CONSOLE_SCRIPT = Path(sys.executable).parent / "mlpipelines"


def run(command: list[str], **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, env={**os.environ, **env})


@pytest.fixture(scope="module", params=["java-launcher", "console-script"])
def mlpipelines(request) -> list[str]:
    executable = JAVA_LAUNCHER if request.param == "java-launcher" else CONSOLE_SCRIPT
    if not executable.exists():
        pytest.fail(f"{executable} is missing: run `make setup`")
    return [str(executable)]


def test_check_config_lists_the_backends(mlpipelines):
    result = run([*mlpipelines, "check-config", "examples/tracking.yaml"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "examples/tracking.yaml: OK, 4 backends enabled"
    assert "  MLFLOW\n    experiment_name: digits\n    tracking_uri: sqlite:///mlflow.db\n" in result.stdout
    assert result.stderr == ""


def test_bad_input_exits_2_with_one_message(mlpipelines, tmp_path):
    config = tmp_path / "tracking.yaml"
    config.write_text("backends:\n  nope: {}\n")
    result = run([*mlpipelines, "check-config", str(config)])
    assert result.returncode == 2
    # Java lists its backends in declaration order; the contract tests prove they are Python's too.
    names = re.fullmatch(
        rf"mlpipelines: {re.escape(str(config))}: backends\.nope: 'nope' is not a tracking backend; "
        r"expected one of ([A-Z0-9_, ]+)\n",
        result.stderr,
    )
    assert names is not None, result.stderr
    assert sorted(names.group(1).split(", ")) == sorted(registered_trackers())
    assert result.stdout == ""


def test_both_front_doors_print_the_same(tmp_path):
    config = tmp_path / "tracking.yaml"
    config.write_text("backends:\n  mlflow:\n    clean_up: [DONE]\n")
    for args in (["check-config", "examples/tracking.yaml"], ["check-config", str(config)], ["nope"], []):
        java = run([str(JAVA_LAUNCHER), *args])
        python = run([str(CONSOLE_SCRIPT), *args])
        assert (python.returncode, python.stdout, python.stderr) == (java.returncode, java.stdout, java.stderr), args


@pytest.mark.parametrize("variable", ["MLPIPELINES_CLASSPATH", "MLPIPELINES_EXTRA_CLASSPATH"])
def test_a_named_jar_that_does_not_exist_is_reported(tmp_path, variable):
    result = run(
        [str(CONSOLE_SCRIPT), "check-config", "examples/tracking.yaml"], **{variable: str(tmp_path / "missing.jar")}
    )
    assert result.returncode == 2
    assert result.stderr == f"mlpipelines: ${variable} names files that do not exist: {tmp_path / 'missing.jar'}\n"


def test_no_build_at_all_says_how_to_build(monkeypatch, tmp_path):
    monkeypatch.delenv(bridge.CLASSPATH_VARIABLE, raising=False)
    monkeypatch.setattr(bridge, "project_root", lambda: tmp_path)
    with pytest.raises(bridge.BridgeError, match=r"the Java generator is not built: .* run `make setup"):
        bridge.classpath()


def test_java_config_errors_become_python_config_errors(tmp_path):
    config = tmp_path / "tracking.yaml"
    config.write_text("backends:\n  csv:\n    dir: [a, b]\n")
    with pytest.raises(bridge.ConfigError) as raised:
        bridge.load_tracking_config(config)
    assert raised.value.key_path == "backends.csv.dir"
    assert raised.value.problem == "expected a string, got a list"
    assert str(raised.value) == f"{config}: backends.csv.dir: expected a string, got a list"


def test_replay_rejects_a_missing_spool(mlpipelines, tmp_path):
    result = run([*mlpipelines, "replay", str(tmp_path / "nowhere")])
    assert result.returncode == 2
    assert result.stderr == (
        f"mlpipelines: {tmp_path / 'nowhere'}: no such file or directory; expected the spool "
        "directory named in the training script's closing message\n"
    )


def test_replay_command_delivers_what_was_spooled_exactly_once(tmp_path):
    from mlflow import MlflowClient

    from mlflow_server import MlflowServer, free_port
    from mlpipelines.tracking import MLflowOptions, MLflowTracker, RetryPolicy

    server = MlflowServer(tmp_path / "server")
    server.port = free_port()
    url = f"http://127.0.0.1:{server.port}"
    spool = tmp_path / "spool"
    # The server is not up yet: everything is retried briefly, then spooled.
    tracker = MLflowTracker(
        MLflowOptions(mlflow_tracking_uri=url, mlflow_experiment_name="replayed", mlflow_spool_dir=str(spool)),
        flush_interval_seconds=0.1,
        retry=RetryPolicy(
            attempts=1, first_backoff_seconds=0.1, max_backoff_seconds=0.1, probe_seconds=60, timeout_seconds=2
        ),
    )
    for step in range(20):
        tracker.log_metric("loss", 1.0 / (step + 1), step=step)
    tracker.close("FINISHED")
    assert tracker.delivery_report().dropped == 0
    with server.start():
        first = run([str(CONSOLE_SCRIPT), "replay", str(spool)])
        second = run([str(JAVA_LAUNCHER), "replay", str(spool)])
        client = MlflowClient(url)
        runs = client.search_runs([client.get_experiment_by_name("replayed").experiment_id])
        history = sorted((m.step, m.value) for m in client.get_metric_history(runs[0].info.run_id, "loss"))
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert len(runs) == 1 and runs[0].info.status == "FINISHED"
    assert history == [(step, 1.0 / (step + 1)) for step in range(20)]
    assert "(0 already delivered before)" in first.stdout
    assert "delivered 0 entries" in second.stdout
