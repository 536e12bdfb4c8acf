"""End to end: `mlpipelines run` through the installed Java launcher, a real MLflow server.

What runs for real: the Gradle-built launcher (build/install/mlpipelines/bin/mlpipelines), the
generated train.py in its own process, an MLflow server on 127.0.0.1 with a SQLite store (started
here, stopped by its own process group), the CSV and TensorBoard files. Every result is read back
through the backend's own reader: MlflowClient, the CSV file, TensorBoard's event reader.
"""

import csv
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
EPOCHS = 2
BATCH_SIZE = 64
# scikit-learn's digits: 1797 examples; validation_split 0.2 holds out round(359.4) = 359.
TRAINING_EXAMPLES = 1797 - 359
STEPS = EPOCHS * -(-TRAINING_EXAMPLES // BATCH_SIZE)


def experiment_yaml(name, epochs=EPOCHS):
    """An MLP experiment small enough to train in seconds; the name is quoted for YAML by PyYAML."""
    return yaml.safe_dump(
        {
            "name": name,
            "model": {"type": "mlp", "hidden_sizes": [32], "activation": "relu"},
            "dataset": "digits",
            "training": {
                "epochs": epochs,
                "batch_size": BATCH_SIZE,
                "learning_rate": 0.1,
                "seed": 11,
                "validation_split": 0.2,
            },
        },
        allow_unicode=True,
    )


@pytest.fixture
def client(mlflow_server):
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=mlflow_server.url)


class Workspace:
    """A temporary directory with an experiment, a tracking.yaml for every backend and the launcher's env."""

    def __init__(self, root, mlflow_url, experiment_name):
        self.root = root
        self.mlflow_url = mlflow_url
        self.experiment_name = experiment_name
        self.csv_dir = root / "runs" / "csv"
        self.tb_dir = root / "runs" / "tb"
        self.experiment_file = root / "experiment.yaml"
        self.tracking_file = root / "tracking.yaml"
        self.tracking_file.write_text(
            yaml.safe_dump(
                {
                    "backends": {
                        "stdout": {"experiment_name": experiment_name},
                        "mlflow": {"experiment_name": experiment_name, "tracking_uri": mlflow_url},
                        "csv": {"dir": str(self.csv_dir)},
                        "tensorboard": {"log_dir": str(self.tb_dir)},
                    },
                    "tags": {"suite": "e2e"},
                },
                allow_unicode=True,
            ),
            encoding="utf-8",
        )
        self.env = {key: value for key, value in os.environ.items() if not key.startswith("MLFLOW_")}
        self.env["MLPIPELINES_PYTHON"] = sys.executable

    def write_experiment(self, name=None, epochs=EPOCHS):
        self.experiment_file.write_text(experiment_yaml(name or self.experiment_name, epochs), encoding="utf-8")

    def command(self, launcher):
        return [
            str(launcher),
            "run",
            str(self.experiment_file),
            "--tracking",
            str(self.tracking_file),
            "--out",
            str(self.root / "out"),
        ]

    def run(self, launcher):
        return subprocess.run(
            self.command(launcher), cwd=self.root, env=self.env, capture_output=True, text=True, timeout=600
        )

    def csv_run(self):
        runs = sorted(self.csv_dir.iterdir())
        assert len(runs) == 1, runs
        return runs[0]


_experiment_counter = iter(range(1, 1_000_000))


@pytest.fixture
def workspace(tmp_path, mlflow_server, request):
    """A workspace whose MLflow experiment is new to the shared server."""
    name = f"e2e-{request.node.name}-{os.getpid()}-{next(_experiment_counter)}"
    return Workspace(tmp_path, mlflow_server.url, name)


def only_run(client, experiment_name):
    experiment = client.get_experiment_by_name(experiment_name)
    assert experiment is not None, f"no MLflow experiment {experiment_name!r}"
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 1, [run.info.run_id for run in runs]
    return runs[0]


def artifact_paths(client, run_id, path=None):
    paths = []
    for entry in client.list_artifacts(run_id, path):
        paths.extend(artifact_paths(client, run_id, entry.path) if entry.is_dir else [entry.path])
    return paths


def csv_metrics(run_directory):
    with open(run_directory / "metrics.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    series = {}
    for row in rows:
        series.setdefault(row["key"], []).append((int(row["step"]), float(row["value"])))
    return series


def test_run_tracks_params_from_java_and_metrics_from_python_in_every_backend(launcher, workspace, client):
    workspace.write_experiment()
    result = workspace.run(launcher)
    assert result.returncode == 0, result.stdout + result.stderr

    run = only_run(client, workspace.experiment_name)
    assert run.info.status == "FINISHED"
    assert run.data.params == {
        "model": "mlp",
        "hidden_sizes": "32",
        "activation": "relu",
        "dataset": "digits",
        "epochs": str(EPOCHS),
        "batch_size": str(BATCH_SIZE),
        "learning_rate": "0.1",
        "seed": "11",
        "validation_split": "0.2",
    }
    assert run.data.tags["experiment"] == workspace.experiment_name
    assert run.data.tags["suite"] == "e2e"

    train_loss = client.get_metric_history(run.info.run_id, "train_loss")
    assert sorted(metric.step for metric in train_loss) == list(range(1, STEPS + 1))
    val_accuracy = sorted(client.get_metric_history(run.info.run_id, "val_accuracy"), key=lambda m: m.step)
    assert len(val_accuracy) == EPOCHS
    # Chance is 0.1; two short epochs of a small MLP reach 0.6-0.9 depending on the seed.
    assert val_accuracy[-1].value > 0.5, "the MLP learns the digits"
    for key in ("train_epoch_loss", "train_epoch_accuracy", "val_loss", "epoch"):
        assert len(client.get_metric_history(run.info.run_id, key)) == EPOCHS, key

    artifacts = artifact_paths(client, run.info.run_id)
    assert "experiment/experiment.yaml" in artifacts and "experiment/train.py" in artifacts, artifacts

    # The CSV file holds the values MLflow holds.
    series = csv_metrics(workspace.csv_run())
    assert series["train_loss"] == sorted((metric.step, metric.value) for metric in train_loss)
    assert series["val_accuracy"] == [(metric.step, metric.value) for metric in val_accuracy]
    csv_params = yaml.safe_load((workspace.csv_run() / "params.yaml").read_text(encoding="utf-8"))
    # CSV keeps the types (MLflow's params are text): str() of each gives MLflow's text back.
    assert {key: str(value) for key, value in csv_params.items()} == run.data.params
    assert isinstance(csv_params["learning_rate"], float) and isinstance(csv_params["batch_size"], int)

    # TensorBoard's own reader sees the scalars.
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    tb_runs = [path for path in workspace.tb_dir.iterdir() if path.is_dir()]
    assert len(tb_runs) == 1, tb_runs
    events = EventAccumulator(str(tb_runs[0])).Reload()
    assert [event.step for event in events.Scalars("val_accuracy")] == [metric.step for metric in val_accuracy]
    assert [event.value for event in events.Scalars("val_accuracy")] == pytest.approx(
        [metric.value for metric in val_accuracy], rel=1e-6
    )

    summary = result.stdout[result.stdout.index("== summary") :]
    assert "status:     FINISHED" in summary
    assert any(run.info.run_id in line and workspace.mlflow_url in line for line in summary.splitlines()), (
        "the summary links the MLflow run:\n" + summary
    )
    assert str(workspace.csv_run()) in summary or workspace.csv_run().name in summary


def shadow_sklearn(directory, message):
    """A `sklearn` package that shadows the real one: loading the data set raises, as a broken install would."""
    package = directory / "shadow" / "sklearn"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "datasets.py").write_text(f"def load_digits():\n    raise OSError({message!r})\n")
    return package.parent


def test_a_script_that_raises_ends_the_run_failed_with_the_reason(launcher, workspace, client):
    workspace.write_experiment()
    workspace.env["PYTHONPATH"] = str(shadow_sklearn(workspace.root, "digits data set unreadable"))
    result = workspace.run(launcher)
    assert result.returncode == 1, result.stdout + result.stderr

    run = only_run(client, workspace.experiment_name)
    assert run.info.status == "FAILED"
    assert run.data.tags["failure_reason"] == "exit code 1: OSError: digits data set unreadable"
    assert "logs/stderr_tail.txt" in artifact_paths(client, run.info.run_id)
    from mlflow.artifacts import download_artifacts

    tail = Path(
        download_artifacts(
            run_id=run.info.run_id,
            artifact_path="logs/stderr_tail.txt",
            dst_path=str(workspace.root),
            tracking_uri=workspace.mlflow_url,
        )
    )
    assert "OSError: digits data set unreadable" in tail.read_text(encoding="utf-8")
    assert run.data.params["epochs"] == str(EPOCHS), "params are logged before the script starts"
    assert "status:     FAILED (exit code 1: OSError: digits data set unreadable)" in result.stdout


class LiveLauncher:
    """The launcher as a running process whose output is collected while it runs."""

    def __init__(self, workspace, launcher):
        self.process = subprocess.Popen(
            workspace.command(launcher),
            cwd=workspace.root,
            env=workspace.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines = []
        self.reader = threading.Thread(target=lambda: self.lines.extend(self.process.stdout), daemon=True)
        self.reader.start()

    def wait_for_output(self, text, timeout=180):
        deadline = time.monotonic() + timeout
        while not any(text in line for line in list(self.lines)):
            assert self.process.poll() is None, "launcher ended early:\n" + "".join(self.lines)
            assert time.monotonic() < deadline, f"no {text!r} in:\n" + "".join(self.lines)
            time.sleep(0.1)

    def training_pid(self):
        """The generated script's process: the launcher's (the JVM's, the start script execs it) child."""
        children = []
        for task in Path(f"/proc/{self.process.pid}/task").iterdir():
            children += (task / "children").read_text().split()
        pids = [
            int(pid)
            for pid in children
            if "train.py" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        ]
        assert len(pids) == 1, children
        return pids[0]

    def finish(self, timeout=120):
        code = self.process.wait(timeout=timeout)
        self.reader.join(timeout=10)
        return code, "".join(self.lines)


def test_a_training_killed_by_sigkill_loses_no_metric_in_any_backend(launcher, workspace, client):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    workspace.write_experiment(epochs=2000)
    live = LiveLauncher(workspace, launcher)
    live.wait_for_output("epoch 2/")
    os.kill(live.training_pid(), signal.SIGKILL)
    code, output = live.finish()

    assert code == 1, output
    run = only_run(client, workspace.experiment_name)
    assert run.info.status == "FAILED"
    assert run.data.tags["failure_reason"] == "killed by signal 9 (SIGKILL), as the kernel's out-of-memory killer does"
    # SIGKILL gives no process a chance to flush; the launcher delivers the journal's tail to every backend.
    (journal_file,) = (workspace.root / "out" / "_runs").glob("*/run-*/metrics.journal")
    sys.path.insert(0, str(ROOT / "python"))
    from mlpipelines.tracking.journal import JournalReader

    journal = JournalReader(str(journal_file))
    logged = {}
    for record in journal.records():
        logged.setdefault(record.key, []).append(record.step)
    per_epoch = -(-TRAINING_EXAMPLES // BATCH_SIZE)
    assert len(logged["val_accuracy"]) >= 2 and len(logged["train_loss"]) >= 2 * per_epoch, "two epochs were logged"
    assert journal.cursors == dict.fromkeys(["STDOUT", "MLFLOW", "CSV", "TENSORBOARD"], journal.count)

    in_csv = {key: sorted(step for step, _ in series) for key, series in csv_metrics(workspace.csv_run()).items()}
    in_mlflow = {
        key: sorted(metric.step for metric in client.get_metric_history(run.info.run_id, key)) for key in logged
    }
    (tb_run,) = workspace.tb_dir.iterdir()
    accumulator = EventAccumulator(str(tb_run), size_guidance={"scalars": 0})
    accumulator.Reload()
    in_tensorboard = {key: sorted(event.step for event in accumulator.Scalars(key)) for key in logged}
    expected = {key: sorted(steps) for key, steps in logged.items()}
    assert in_csv == expected
    assert in_mlflow == expected
    assert in_tensorboard == expected
    assert "recovered:  MLFLOW: " in output and " metrics recovered after the script died" in output, output


def test_an_interrupted_launcher_stops_the_training_and_kills_the_run(launcher, workspace, client):
    workspace.write_experiment(epochs=2000)
    live = LiveLauncher(workspace, launcher)
    live.wait_for_output("epoch 1/")
    training = live.training_pid()
    live.process.send_signal(signal.SIGINT)
    code, output = live.finish()

    assert code == 130, output
    assert not Path(f"/proc/{training}").exists() or "zombie" in Path(f"/proc/{training}/status").read_text().lower()
    run = only_run(client, workspace.experiment_name)
    assert run.info.status == "KILLED"
    assert run.data.tags["failure_reason"].startswith("launcher interrupted (Ctrl-C or SIGTERM); training stopped")
    assert "status:     KILLED" in output


@pytest.mark.parametrize(
    "name",
    [
        'quotes \' and " and """ triple',
        "back\\slash \\n not a newline",
        "two\nlines",
        "Ziffern für 数字 🔢",
    ],
)
def test_any_experiment_name_reaches_every_backend_exactly(launcher, workspace, client, name):
    workspace.write_experiment(name=name, epochs=1)
    result = workspace.run(launcher)
    assert result.returncode == 0, result.stdout + result.stderr

    run = only_run(client, workspace.experiment_name)
    assert run.data.tags["experiment"] == name
    tags = yaml.safe_load((workspace.csv_run() / "tags.yaml").read_text(encoding="utf-8"))
    assert tags["experiment"] == name
    script = next((workspace.root / "out").glob("_runs/*/run-*/train.py"))
    subprocess.run([sys.executable, "-m", "py_compile", str(script)], check=True)


def test_the_generated_script_runs_on_its_own(launcher, tmp_path):
    experiment = tmp_path / "standalone.yaml"
    experiment.write_text(experiment_yaml("standalone", epochs=1), encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if not key.startswith("MLFLOW_")}
    env.pop("PYTHONPATH", None)
    generated = subprocess.run(
        [str(launcher), "generate", str(experiment), "--out", str(tmp_path / "out")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert generated.returncode == 0, generated.stderr
    directory = tmp_path / "out" / "standalone"
    assert (directory / "mlpipelines" / "tracking" / "__init__.py").read_bytes() == (
        ROOT / "python" / "mlpipelines" / "tracking" / "__init__.py"
    ).read_bytes()

    # Elsewhere than the source tree, so that only the vendored copy of mlpipelines can be imported.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copytree(directory, elsewhere / "standalone")
    script = elsewhere / "standalone" / "train.py"
    help_text = subprocess.run(
        [sys.executable, str(script), "--help"], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=300
    )
    assert help_text.returncode == 0, help_text.stderr
    for option in (
        "--epochs",
        "--batch_size",
        "--learning_rate",
        "--seed",
        "--validation_split",
        "--hidden_sizes",
        "--activation",
        "--tracking_backends",
        "--stdout_experiment_name",
        "--mlflow_tracking_uri",
        "--mlflow_run_id",
        "--csv_dir",
        "--csv_run_name",
        "--tensorboard_log_dir",
        "--tensorboard_run_name",
    ):
        assert option in help_text.stdout, option

    run = subprocess.run(
        [sys.executable, str(script), "--tracking_backends", "STDOUT,CSV", "--csv_dir", str(tmp_path / "csv")],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "val_accuracy" in run.stdout, "the script reports its progress"
    runs = sorted((tmp_path / "csv").iterdir())
    assert [path.name for path in runs] == ["run_1"]
    series = csv_metrics(runs[0])
    assert [step for step, _ in series["train_loss"]] == list(range(1, STEPS // EPOCHS + 1))
    params = yaml.safe_load((runs[0] / "params.yaml").read_text(encoding="utf-8"))
    assert params["epochs"] == 1 and params["learning_rate"] == 0.1, "a script on its own logs its params"
    assert yaml.safe_load((runs[0] / "run.yaml").read_text(encoding="utf-8"))["status"] == "FINISHED"


def processes_mentioning(text):
    """Pids of live processes whose command line contains the text (read from /proc, nothing is killed)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text in cmdline.read_bytes().decode("utf-8", "replace"):
                found.append(int(cmdline.parent.name))
        except OSError:
            pass
    return found


def test_a_local_store_gets_its_own_server_which_stops_with_the_pipeline(launcher, tmp_path):
    from mlflow.tracking import MlflowClient

    store = tmp_path / "local.db"
    workspace = Workspace(tmp_path, f"sqlite:///{store}", "local store")
    workspace.write_experiment(epochs=1)
    result = workspace.run(launcher)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"ui:         mlpipelines ui {workspace.tracking_file}" in result.stdout, result.stdout

    assert processes_mentioning(str(store)) == [], "the local server stopped with the pipeline"
    local = MlflowClient(tracking_uri=f"sqlite:///{store}")
    run = only_run(local, "local store")
    assert (run.info.run_name, run.info.status) == ("Run 1", "FINISHED")
    assert len(local.get_metric_history(run.info.run_id, "train_loss")) == STEPS // EPOCHS

    second = workspace.run(launcher)
    assert second.returncode == 0, second.stdout + second.stderr
    names = sorted(
        run.info.run_name for run in local.search_runs([local.get_experiment_by_name("local store").experiment_id])
    )
    assert names == ["Run 1", "Run 2"], "a second pipeline reuses the store and numbers on"
