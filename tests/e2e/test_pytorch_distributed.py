"""End to end: two training processes under torchrun, launched by the Java launcher.

Real torchrun (gloo on CPU), a real MLflow server, the CSV and TensorBoard directories. Every rank
gets the same argv and so the same runs; only rank 0 logs, so each store holds one run with each
metric once per step. A SIGKILL of one rank ends the run FAILED, and every metric logged before
the kill is in every store (the launcher delivers rank 0's journal).
"""

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "digits_cnn_ddp.yaml"
EPOCHS = 2
# 1438 training examples sharded over 2 ranks (719 each), batches of 64: 12 steps per epoch.
STEPS = EPOCHS * -(-719 // 64)

pytest.importorskip("torch")


def launcher_env():
    env = {key: value for key, value in os.environ.items() if not key.startswith("MLFLOW_")}
    env["MLPIPELINES_PYTHON"] = sys.executable
    return env


def write_tracking(root, mlflow_url, name):
    (root / "tracking.yaml").write_text(
        yaml.safe_dump(
            {
                "backends": {
                    "stdout": {"experiment_name": name},
                    "mlflow": {"experiment_name": name, "tracking_uri": mlflow_url},
                    "csv": {"dir": str(root / "runs" / "csv")},
                    "tensorboard": {"log_dir": str(root / "runs" / "tb")},
                }
            }
        ),
        encoding="utf-8",
    )


def command(launcher, *extra):
    return [str(launcher), "run", str(EXAMPLE), "--tracking", "tracking.yaml", "--out", "out", *extra]


def csv_steps(root, key="train_loss"):
    runs = list((root / "runs" / "csv").glob("run_*"))
    if not runs or not (runs[0] / "metrics.csv").exists():
        return []
    with open(runs[0] / "metrics.csv", newline="", encoding="utf-8") as handle:
        return [int(row["step"]) for row in csv.DictReader(handle) if row.get("key") == key]


def tensorboard_steps(root, key="train_loss"):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    (run,) = [path for path in (root / "runs" / "tb").iterdir() if path.is_dir()]
    return [event.step for event in EventAccumulator(str(run)).Reload().Scalars(key)]


@pytest.fixture
def client(mlflow_server):
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=mlflow_server.url)


def only_run(client, name):
    experiment = client.get_experiment_by_name(name)
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 1, [run.info.run_name for run in runs]
    return runs[0]


def test_two_processes_log_one_run_per_backend_with_each_metric_once_per_step(
    launcher, tmp_path, mlflow_server, client
):
    name = f"e2e-ddp-{os.getpid()}"
    write_tracking(tmp_path, mlflow_server.url, name)
    result = subprocess.run(
        command(launcher, "--set", f"training.epochs={EPOCHS}"),
        cwd=tmp_path,
        env=launcher_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    run = only_run(client, name)
    assert run.info.status == "FINISHED"
    assert run.data.params["processes"] == "2"
    steps = sorted(metric.step for metric in client.get_metric_history(run.info.run_id, "train_loss"))
    assert steps == list(range(1, STEPS + 1)), "each step once, from rank 0 only"
    for key in ("val_loss", "val_accuracy", "train_epoch_loss"):
        assert len(client.get_metric_history(run.info.run_id, key)) == EPOCHS, key
    assert [path.name for path in (tmp_path / "runs" / "csv").iterdir()] == ["run_1"]
    assert sorted(csv_steps(tmp_path)) == list(range(1, STEPS + 1))
    assert sorted(tensorboard_steps(tmp_path)) == list(range(1, STEPS + 1))
    assert "2 process(es)" in result.stdout
    assert "OMP_NUM_THREADS" not in result.stderr, "torchrun's banner stays away"


def rank_pid(working_directory, rank):
    """The pid of the torchrun worker with RANK=rank whose script runs in working_directory."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            environ = (entry / "environ").read_bytes().split(b"\0")
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        is_worker = any(part.endswith(b"train.py") for part in cmdline) and not any(
            part.endswith(b"torch.distributed.run") for part in cmdline
        )
        if is_worker and cwd == str(working_directory) and f"RANK={rank}".encode() in environ:
            return int(entry.name)
    return None


@pytest.mark.parametrize("rank", [0, 1])
def test_sigkill_of_one_rank_ends_the_run_failed_and_keeps_every_logged_metric(
    launcher, tmp_path, mlflow_server, client, rank
):
    name = f"e2e-ddp-kill-{rank}-{os.getpid()}"
    write_tracking(tmp_path, mlflow_server.url, name)
    # Many epochs, so that the kill lands in the middle of the training (early stopping needs 3 epochs, 36 steps).
    extra = ["--set", "training.epochs=200"]
    launched = subprocess.Popen(
        command(launcher, *extra), cwd=tmp_path, env=launcher_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 300
        while len(csv_steps(tmp_path)) < 20:
            assert launched.poll() is None, launched.communicate()
            assert time.monotonic() < deadline, "the training never logged 20 steps"
            time.sleep(0.2)
        pid = rank_pid(tmp_path, rank)
        assert pid is not None, f"no process of rank {rank}"
        logged_before_kill = len(csv_steps(tmp_path))
        os.kill(pid, signal.SIGKILL)
        stdout, stderr = launched.communicate(timeout=300)
    finally:
        if launched.poll() is None:
            launched.kill()
            launched.communicate()
    assert launched.returncode == 1, stdout.decode() + stderr.decode()
    run = only_run(client, name)
    assert run.info.status == "FAILED"
    mlflow_steps = sorted(metric.step for metric in client.get_metric_history(run.info.run_id, "train_loss"))
    # Nothing logged is lost and nothing is logged twice: the same contiguous steps in every store.
    assert mlflow_steps == list(range(1, len(mlflow_steps) + 1))
    assert len(mlflow_steps) >= logged_before_kill
    assert sorted(csv_steps(tmp_path)) == mlflow_steps
    assert sorted(tensorboard_steps(tmp_path)) == mlflow_steps


def test_an_interrupted_launcher_stops_every_rank_and_ends_the_run_killed(launcher, tmp_path, mlflow_server, client):
    name = f"e2e-ddp-term-{os.getpid()}"
    write_tracking(tmp_path, mlflow_server.url, name)
    launched = subprocess.Popen(
        command(launcher, "--set", "training.epochs=200"),
        cwd=tmp_path,
        env=launcher_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 300
        while len(csv_steps(tmp_path)) < 20:
            assert launched.poll() is None, launched.communicate()
            assert time.monotonic() < deadline, "the training never logged 20 steps"
            time.sleep(0.2)
        assert rank_pid(tmp_path, 0) is not None and rank_pid(tmp_path, 1) is not None
        launched.send_signal(signal.SIGTERM)
        stdout, stderr = launched.communicate(timeout=120)
    finally:
        if launched.poll() is None:
            launched.kill()
            launched.communicate()
    assert launched.returncode == 143, stdout.decode() + stderr.decode()
    assert rank_pid(tmp_path, 0) is None and rank_pid(tmp_path, 1) is None, "no rank outlives the launcher"
    run = only_run(client, name)
    assert run.info.status == "KILLED"
    mlflow_steps = sorted(metric.step for metric in client.get_metric_history(run.info.run_id, "train_loss"))
    assert mlflow_steps == list(range(1, len(mlflow_steps) + 1)) and len(mlflow_steps) >= 20
    assert sorted(csv_steps(tmp_path)) == mlflow_steps
