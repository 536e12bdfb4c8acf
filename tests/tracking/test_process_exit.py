"""Buffered MLflow metrics survive SIGTERM and plain interpreter exit (real subprocesses)."""

import csv
import random
import signal
import subprocess
import textwrap
import time
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


FAN_OUT_SCRIPT = textwrap.dedent("""
    import sys, time
    from mlpipelines.tracking import MultiBackendTracker, RunTracker, build_parser, register_tracker

    class SlowTracker(RunTracker):
        # Sleeps inside every write, so that a signal nearly always lands in the middle of a fan-out.
        def __init__(self, args):
            self.out = open(args.slow_file, "a", encoding="utf-8")

        def write_metrics(self, metrics, timestamp, step):
            time.sleep(0.002)
            for key in metrics:
                self.out.write(f"{key} {step}\\n")

        def close(self, status="FINISHED"):
            self.out.close()

    register_tracker("SLOW", SlowTracker)
    parser = build_parser()
    parser.add_argument("--slow_file")
    tracker = MultiBackendTracker(parser.parse_args(sys.argv[1:]))
    for step in range(100_000):
        tracker.log_metric("loss", step * 0.5, step=step)
        if step == 20:
            print("logging", flush=True)
    """)


def test_a_signal_during_the_fan_out_reaches_every_backend_or_none(mlflow_server, tmp_path):
    randomness = random.Random()
    children = []
    for number, signum in enumerate([signal.SIGTERM, signal.SIGTERM, signal.SIGINT, signal.SIGTERM]):
        work_dir = tmp_path / f"child{number}"
        work_dir.mkdir()
        experiment = f"fan-out-{uuid.uuid4().hex[:8]}"
        command = [PYTHON, "-c", FAN_OUT_SCRIPT, "--tracking_backends", "MLFLOW,SLOW,CSV"]
        command += ["--mlflow_tracking_uri", mlflow_server.url, "--mlflow_experiment_name", experiment]
        command += ["--csv_dir", str(work_dir / "csv"), "--slow_file", str(work_dir / "slow.txt")]
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=work_dir, env=subprocess_env()
        )
        children.append((process, signum, work_dir, experiment, randomness.uniform(0.05, 0.6)))
    try:
        for process, signum, _, _, delay in children:
            assert process.stdout.readline() == "logging\n", process.stderr.read()
            time.sleep(delay)
            process.send_signal(signum)
        for process, signum, work_dir, experiment, delay in children:
            _, err = process.communicate(timeout=180)
            run = the_run(mlflow_server.url, experiment)
            in_mlflow = len(history(mlflow_server.url, run.info.run_id, "loss"))
            in_slow = len((work_dir / "slow.txt").read_text().splitlines())
            with open(work_dir / "csv" / "run_1" / "metrics.csv", newline="") as rows:
                in_csv = len(list(csv.DictReader(rows)))
            assert in_mlflow == in_slow == in_csv > 20, (signum, delay, err)
            assert f"MLFLOW: sent {in_mlflow}, retried 0, spooled 0, dropped 0" in err
    finally:
        for process, *_ in children:
            if process.poll() is None:
                process.kill()
