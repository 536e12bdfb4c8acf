"""Buffered MLflow metrics survive SIGTERM and plain interpreter exit (real subprocesses)."""

import signal
import subprocess
import textwrap
import uuid

import mlflow
import pytest

from tracking_helpers import PYTHON, history, subprocess_env

LOGGING_SCRIPT = textwrap.dedent("""
    import signal, sys, time
    from mlpipelines.tracking import MultiBackendTracker, build_parser

    if "--user-handler" in sys.argv:
        sys.argv.remove("--user-handler")
        def user_handler(signum, frame):
            print("user handler ran", flush=True)
            sys.exit(143)
        signal.signal(signal.SIGTERM, user_handler)
    ending = sys.argv.pop()
    args = build_parser().parse_args(sys.argv[1:])
    tracker = MultiBackendTracker(args)
    for step in range(3000):
        tracker.log_metric("loss", step * 0.5, step=step)
    print("logged", flush=True)
    if ending == "wait":
        time.sleep(120)
    elif ending == "raise":
        raise RuntimeError("training diverged")
    """)


def start(server_url, experiment, ending, work_dir, *extra):
    return subprocess.Popen(
        [
            PYTHON,
            "-c",
            LOGGING_SCRIPT,
            *extra,
            "--tracking_backends",
            "MLFLOW",
            "--mlflow_tracking_uri",
            server_url,
            "--mlflow_experiment_name",
            experiment,
            "--mlflow_spool_dir",
            str(work_dir / "spool"),
            ending,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=work_dir,
        env=subprocess_env(),
    )


def the_run(server_url, experiment):
    client = mlflow.MlflowClient(server_url)
    runs = client.search_runs([client.get_experiment_by_name(experiment).experiment_id])
    assert len(runs) == 1
    return runs[0]


@pytest.mark.parametrize(
    "extra, expected_code, expected_output",
    [
        ((), -signal.SIGTERM, ""),
        (("--user-handler",), 143, "user handler ran"),
    ],
)
def test_sigterm_delivers_buffered_metrics_then_runs_the_previous_handler(
    mlflow_server, tmp_path, extra, expected_code, expected_output
):
    experiment = f"sigterm-{uuid.uuid4().hex[:8]}"
    process = start(mlflow_server.url, experiment, "wait", tmp_path, *extra)
    try:
        assert process.stdout.readline() == "logged\n"
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=180)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == expected_code, err
    assert expected_output in out
    assert "MLFLOW: sent 3000, retried 0, spooled 0, dropped 0" in err
    run = the_run(mlflow_server.url, experiment)
    assert run.info.status == "KILLED"
    assert history(mlflow_server.url, run.info.run_id, "loss") == [(s, s * 0.5) for s in range(3000)]


@pytest.mark.parametrize("ending, code, status", [("exit", 0, "FINISHED"), ("raise", 1, "FAILED")])
def test_interpreter_exit_without_close_delivers_and_ends_the_run(mlflow_server, tmp_path, ending, code, status):
    experiment = f"exit-{uuid.uuid4().hex[:8]}"
    process = start(mlflow_server.url, experiment, ending, tmp_path)
    _, err = process.communicate(timeout=180)
    assert process.returncode == code, err
    run = the_run(mlflow_server.url, experiment)
    assert run.info.status == status
    assert len(history(mlflow_server.url, run.info.run_id, "loss")) == 3000
    assert not (tmp_path / "spool").exists()
