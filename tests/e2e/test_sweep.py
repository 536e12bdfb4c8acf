"""End to end: `mlpipelines sweep` through the installed Java launcher, against a real MLflow server.

Every trial is a real `mlpipelines run` of the generated script in its own process; the MLflow runs are
read back with MlflowClient, the CSV and TensorBoard run directories from disk. Bad input is checked on
both front doors (the Java launcher and the Python console script).
"""

import csv
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from mlflow.entities import ViewType

ROOT = Path(__file__).resolve().parents[2]
CONSOLE_SCRIPT = ROOT / ".venv" / "bin" / "mlpipelines"
TIMEOUT_SECONDS = 900
GRID = {"training.learning_rate": [0.05, 0.3], "training.batch_size": [32, 128]}


def experiment(sweep, epochs=1, name="sweep-e2e"):
    """A small MLP experiment with the given sweep section."""
    return {
        "name": name,
        "model": {"type": "mlp", "hidden_sizes": [16], "activation": "relu"},
        "dataset": "digits",
        "training": {"epochs": epochs, "batch_size": 64, "learning_rate": 0.1, "seed": 3, "validation_split": 0.2},
        "sweep": sweep,
    }


def grid_sweep(parameters=None):
    return {
        "strategy": "grid",
        "objective": {"metric": "val_loss", "goal": "minimize", "value": "last"},
        "parameters": parameters or GRID,
    }


class SweepWorkspace:
    """An experiment file, a tracking.yaml (STDOUT, MLflow on the test server, CSV, TensorBoard) and the env."""

    _counter = iter(range(1, 1_000_000))

    def __init__(self, root, mlflow_url, clean_up=()):
        self.root = root
        self.experiment_name = f"sweep-e2e-{os.getpid()}-{next(self._counter)}"
        self.csv_dir = root / "runs" / "csv"
        self.tb_dir = root / "runs" / "tb"
        self.out = root / "out"
        self.experiment_file = root / "experiment.yaml"
        self.tracking_file = root / "tracking.yaml"
        mlflow = {"experiment_name": self.experiment_name, "tracking_uri": mlflow_url}
        if clean_up:
            mlflow["clean_up"] = list(clean_up)
        self.tracking_file.write_text(
            yaml.safe_dump(
                {
                    "backends": {
                        "stdout": {"experiment_name": self.experiment_name},
                        "mlflow": mlflow,
                        "csv": {"dir": str(self.csv_dir)},
                        "tensorboard": {"log_dir": str(self.tb_dir)},
                    },
                    "tags": {"suite": "sweep-e2e"},
                }
            ),
            encoding="utf-8",
        )
        self.env = {key: value for key, value in os.environ.items() if not key.startswith("MLFLOW_")}
        self.env["MLPIPELINES_PYTHON"] = sys.executable

    def write(self, content):
        self.experiment_file.write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")

    def command(self, launcher, *extra):
        return [
            str(launcher),
            "sweep",
            str(self.experiment_file),
            "--tracking",
            str(self.tracking_file),
            "--out",
            str(self.out),
            *extra,
        ]

    def run(self, launcher, *extra):
        return subprocess.run(
            self.command(launcher, *extra),
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
        )


@pytest.fixture
def client(mlflow_server):
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=mlflow_server.url)


def runs_of(client, experiment_name, view=ViewType.ACTIVE_ONLY):
    found = client.get_experiment_by_name(experiment_name)
    assert found is not None, f"no MLflow experiment {experiment_name!r}"
    return client.search_runs([found.experiment_id], run_view_type=view, max_results=1000)


def parent_and_trials(client, experiment_name, view=ViewType.ACTIVE_ONLY):
    runs = runs_of(client, experiment_name, view)
    parents = [run for run in runs if run.data.tags.get("sweep_role") == "parent"]
    assert len(parents) == 1, [run.data.tags for run in runs]
    trials = [run for run in runs if run is not parents[0]]
    return parents[0], sorted(trials, key=lambda run: int(run.data.tags["sweep_trial"]))


def results_rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def last_value(client, run_id, key):
    history = sorted(client.get_metric_history(run_id, key), key=lambda metric: (metric.step, metric.timestamp))
    assert history, f"run {run_id} logged no {key}"
    return history[-1].value


def test_a_grid_of_four_with_parallel_two_nests_four_trials_under_one_parent(launcher, tmp_path, mlflow_server, client):
    workspace = SweepWorkspace(tmp_path, mlflow_server.url)
    workspace.write(experiment(grid_sweep()))

    metadata_file = tmp_path / "sweep.json"
    result = workspace.run(launcher, "--parallel", "2", "--json", str(metadata_file))

    assert result.returncode == 0, result.stdout + result.stderr
    parent, trials = parent_and_trials(client, workspace.experiment_name)
    assert len(trials) == 4
    assert all(run.info.status == "FINISHED" for run in [parent, *trials])
    sweep_id = parent.data.tags["sweep"]
    for trial in trials:
        assert trial.data.tags["mlflow.parentRunId"] == parent.info.run_id
        assert trial.data.tags["sweep"] == sweep_id
        # Replayed into every trial by the lane's tracker: the manual tag of tracking.yaml.
        assert trial.data.tags["suite"] == "sweep-e2e"
        assert trial.data.tags["mlflow.runName"].startswith("Run ")
    # Grid order: the first parameter varies slowest; each trial logs and trains its values.
    assert [(run.data.params["learning_rate"], run.data.params["batch_size"]) for run in trials] == [
        ("0.05", "32"),
        ("0.05", "128"),
        ("0.3", "32"),
        ("0.3", "128"),
    ]
    assert {trial.data.params["epochs"] for trial in trials} == {"1"}
    # Two lanes: the first two trials ran at the same time.
    first, second = trials[0].info, trials[1].info
    assert first.start_time < second.end_time and second.start_time < first.end_time

    # The results table: each objective is its trial's last logged val_loss; the best is the smallest.
    table_path = Path(
        next(line.split(None, 1)[1] for line in result.stdout.splitlines() if line.startswith("results:"))
    )
    rows = results_rows(table_path.read_text(encoding="utf-8"))
    assert [row["trial"] for row in rows] == ["1", "2", "3", "4"]
    objectives = {}
    for row, trial in zip(rows, trials, strict=True):
        assert row["status"] == "FINISHED"
        assert row["run"] == trial.data.tags["mlflow.runName"]
        assert row["training.learning_rate"] == trial.data.params["learning_rate"]
        assert float(row["val_loss"]) == last_value(client, trial.info.run_id, "val_loss")
        objectives[int(row["trial"])] = float(row["val_loss"])
    best = min(objectives, key=objectives.__getitem__)
    assert [row["best"] for row in rows] == ["*" if number == best else "" for number in range(1, 5)]
    assert parent.data.params["best_trial"] == str(best)
    assert parent.data.params["best.training.learning_rate"] == trials[best - 1].data.params["learning_rate"]
    assert parent.data.params["best.training.batch_size"] == trials[best - 1].data.params["batch_size"]
    assert parent.data.metrics["best_val_loss"] == objectives[best]
    assert parent.data.params["sweep.strategy"] == "grid"
    assert parent.data.params["sweep.parameter.training.learning_rate"] == "[0.05, 0.3]"

    # The parent's artifacts: the table (the same text), the plot, the definition, the experiment file.
    local = Path(client.download_artifacts(parent.info.run_id, "sweep", str(tmp_path / "download")))
    assert (local / "results.csv").read_text(encoding="utf-8") == table_path.read_text(encoding="utf-8")
    assert (local / "objective.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "objective: val_loss (minimize, last value)" in (local / "definition.txt").read_text(encoding="utf-8")
    # CSV and TensorBoard keep the same table with the parent's run directory.
    for directory in (workspace.csv_dir, workspace.tb_dir):
        tables = list(directory.glob("*/artifacts/sweep/results.csv"))
        assert len(tables) == 1, tables
        assert tables[0].read_text(encoding="utf-8") == table_path.read_text(encoding="utf-8")
    assert len(list(workspace.csv_dir.iterdir())) == 5

    # Every trial has its own generated script.
    scripts = set((workspace.out / "_runs").glob("*/run-*/train.py"))
    assert len(scripts) == 4
    # The summary: a table with the best marked.
    summary = result.stdout.split("== sweep summary", 1)[1]
    marked = [line for line in summary.splitlines() if line.startswith("  * ")]
    assert len(marked) == 1 and marked[0].split()[1] == str(best), summary
    assert f"best:       trial {best} ({trials[best - 1].data.tags['mlflow.runName']})" in summary

    # --json: the same sweep as the stores hold it.
    metadata = json.loads(metadata_file.read_text(encoding="utf-8"))
    sweep = metadata["sweep"]
    assert sweep["parent"]["run_ids"]["mlflow_run_id"] == parent.info.run_id
    assert sweep["best"] == best and sweep["exit_code"] == 0
    assert [row["run_ids"]["mlflow_run_id"] for row in sweep["trials"]] == [trial.info.run_id for trial in trials]
    assert [row["objective"] for row in sweep["trials"]] == [objectives[number] for number in range(1, 5)]
    assert [row["status"] for row in sweep["trials"]] == ["FINISHED"] * 4


def test_a_seeded_random_sweep_is_reproducible(launcher, tmp_path, mlflow_server, client):
    sweep = {
        "strategy": "random",
        "trials": 2,
        "seed": 7,
        "objective": {"metric": "val_accuracy", "goal": "maximize", "value": "best"},
        "parameters": {
            "training.learning_rate": {"low": 0.01, "high": 0.5, "scale": "log"},
            "training.batch_size": [32, 64, 128],
        },
    }
    drawn = []
    for attempt in ("first", "second"):
        (tmp_path / attempt).mkdir()
        workspace = SweepWorkspace(tmp_path / attempt, mlflow_server.url)
        workspace.write(experiment(sweep))
        result = workspace.run(launcher, "--parallel", "2")
        assert result.returncode == 0, result.stdout + result.stderr
        parent, trials = parent_and_trials(client, workspace.experiment_name)
        assert len(trials) == 2
        values = [(run.data.params["learning_rate"], run.data.params["batch_size"]) for run in trials]
        for learning_rate, batch_size in values:
            assert 0.01 <= float(learning_rate) <= 0.5 and batch_size in {"32", "64", "128"}
        best_accuracy = max(
            max(metric.value for metric in client.get_metric_history(run.info.run_id, "val_accuracy")) for run in trials
        )
        assert parent.data.metrics["best_val_accuracy"] == best_accuracy
        drawn.append((values, parent.data.params["sweep.seed"]))
    assert drawn[0] == drawn[1]
    assert drawn[0][0][0] != drawn[0][0][1], "two draws of a continuous range differ"


FAKE_SKLEARN = """
import sys

import numpy as np


class _Digits:
    def __init__(self):
        rng = np.random.default_rng(0)
        self.target = rng.integers(0, 10, 1797)
        self.data = rng.integers(0, 17, (1797, 64)).astype(float)


def load_digits():
    if any(argument == "--learning_rate=0.3" for argument in sys.argv):
        raise ValueError("this trial fails on purpose")
    return _Digits()
"""


def test_a_failing_trial_ends_failed_and_the_sweep_goes_on(launcher, tmp_path, mlflow_server, client):
    workspace = SweepWorkspace(tmp_path, mlflow_server.url)
    workspace.write(experiment(grid_sweep({"training.learning_rate": [0.05, 0.3, 0.1]})))
    # A scikit-learn whose data set fails to load for one learning rate only.
    package = tmp_path / "shadow" / "sklearn"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "datasets.py").write_text(FAKE_SKLEARN)
    workspace.env["PYTHONPATH"] = str(package.parent)

    result = workspace.run(launcher, "--parallel", "2")

    assert result.returncode == 1, result.stdout + result.stderr
    parent, trials = parent_and_trials(client, workspace.experiment_name)
    assert [run.info.status for run in trials] == ["FINISHED", "FAILED", "FINISHED"]
    assert trials[1].data.tags["failure_reason"] == "exit code 1: ValueError: this trial fails on purpose"
    assert parent.info.status == "FINISHED"
    finished = {
        run.data.params["learning_rate"]: last_value(client, run.info.run_id, "val_loss") for run in trials[::2]
    }
    assert parent.data.params["best.training.learning_rate"] == min(finished, key=finished.__getitem__)
    summary = result.stdout.split("== sweep summary", 1)[1]
    assert "trial 2:    FAILED (exit code 1: ValueError: this trial fails on purpose)" in summary


def test_an_interrupted_sweep_kills_running_trials_and_starts_no_other(launcher, tmp_path, mlflow_server, client):
    workspace = SweepWorkspace(tmp_path, mlflow_server.url, clean_up=["KILLED"])
    workspace.write(experiment(grid_sweep({"training.learning_rate": [0.05, 0.1, 0.2]}), epochs=5000))
    process = subprocess.Popen(
        workspace.command(launcher, "--parallel", "2"),
        cwd=workspace.root,
        env=workspace.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout or []), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 300
        while not all(any(line.startswith(f"[trial {n}] epoch 1/") for line in list(lines)) for n in (1, 2)):
            assert process.poll() is None, "the sweep ended early:\n" + "".join(lines)
            assert time.monotonic() < deadline, "".join(lines)
            time.sleep(0.2)
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=180)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
    reader.join(timeout=10)
    output = "".join(lines)

    assert code == 130, output
    # clean_up [KILLED] applies to the trials and the parent: all deleted, none left RUNNING.
    assert not list(runs_of(client, workspace.experiment_name))
    parent, trials = parent_and_trials(client, workspace.experiment_name, ViewType.DELETED_ONLY)
    assert parent.info.status == "KILLED"
    assert [run.data.tags["sweep_trial"] for run in trials] == ["1", "2"], "trial 3 never started"
    assert all(run.info.status == "KILLED" for run in trials)
    summary = output.split("== sweep summary", 1)[1]
    assert "parent:     KILLED" in summary
    assert [line.split()[-1] for line in summary.splitlines() if line.startswith("    3 ")] == ["NOT_STARTED"]
    assert not list(workspace.out.glob("_runs/*/run-3")), "no script was generated for the pending trial"


def test_successive_halving_stops_weak_trials_at_a_rung(launcher, tmp_path, mlflow_server, client):
    workspace = SweepWorkspace(tmp_path, mlflow_server.url)
    sweep = grid_sweep({"training.learning_rate": [0.3, 0.001, 0.0005]})
    sweep["early_stopping"] = {"min_epochs": 1, "reduction_factor": 2}
    epochs = 200
    workspace.write(experiment(sweep, epochs=epochs))

    result = workspace.run(launcher)

    assert result.returncode == 0, result.stdout + result.stderr
    parent, trials = parent_and_trials(client, workspace.experiment_name)
    # Sequential trials: the first is alone at epoch 1 and goes on; each later one is compared with those
    # that reached epoch 1 before it, and a learning rate this small is far behind after one epoch.
    assert [run.info.status for run in trials] == ["FINISHED", "KILLED", "KILLED"]
    first_epoch = {}
    for number, run in enumerate(trials, start=1):
        history = sorted(client.get_metric_history(run.info.run_id, "val_loss"), key=lambda metric: metric.step)
        first_epoch[number] = history[0].value
        if number == 1:
            assert len(history) == epochs
            continue
        assert len(history) < epochs, "the stopped trial really stopped"
        reason = run.data.tags["failure_reason"]
        prefix = "stopped early by successive halving at epoch 1: val_loss "
        assert reason.startswith(prefix), reason
        assert float(reason[len(prefix) :].split()[0]) == history[0].value
        assert reason.endswith(f"is not among the best 1 of the {number} trials that reached epoch 1")
        assert history[0].value > min(first_epoch[earlier] for earlier in range(1, number))
    rows = results_rows(
        Path(
            next(line.split(None, 1)[1] for line in result.stdout.splitlines() if line.startswith("results:"))
        ).read_text()
    )
    assert [row["status"] for row in rows] == ["FINISHED", "STOPPED_EARLY", "STOPPED_EARLY"]
    assert parent.data.params["best_trial"] == "1"
    assert parent.data.params["sweep.early_stopping"] == "successive halving from epoch 1, keeping 1/2 at each rung"


def test_the_console_script_runs_a_sweep_like_the_launcher(tmp_path):
    """The Python front door (JPype, the JVM in-process) runs trials and prints the same summary."""
    csv_dir = tmp_path / "csv"
    tracking = tmp_path / "tracking.yaml"
    tracking.write_text(yaml.safe_dump({"backends": {"stdout": None, "csv": {"dir": str(csv_dir)}}}))
    experiment_file = tmp_path / "experiment.yaml"
    experiment_file.write_text(
        yaml.safe_dump(experiment(grid_sweep({"training.batch_size": [64, 256]})), sort_keys=False)
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith("MLFLOW_")}
    env["MLPIPELINES_PYTHON"] = sys.executable
    command = [str(CONSOLE_SCRIPT), "sweep", str(experiment_file), "--tracking", str(tracking)]
    command += ["--out", str(tmp_path / "out"), "--parallel=2"]
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=TIMEOUT_SECONDS)

    assert result.returncode == 0, result.stdout + result.stderr
    summary = result.stdout.split("== sweep summary", 1)[1]
    assert "grid, 2 trials, up to 2 at once; objective val_loss (minimize, last value)" in summary
    rows = [line.split() for line in summary.splitlines() if line.startswith(("    1 ", "    2 ", "  * "))]
    assert sorted(row[-2] for row in rows) == ["FINISHED", "FINISHED"], summary
    tags = [yaml.safe_load((run / "tags.yaml").read_text()) for run in sorted(csv_dir.iterdir())]
    assert sorted(tag["sweep_role"] for tag in tags) == ["parent", "trial", "trial"]
    assert len({tag["sweep"] for tag in tags}) == 1


def test_without_matplotlib_the_sweep_completes_and_says_the_plot_was_skipped(launcher, tmp_path):
    workspace = SweepWorkspace(tmp_path, "http://127.0.0.1:9")
    workspace.tracking_file.write_text(yaml.safe_dump({"backends": {"csv": {"dir": str(workspace.csv_dir)}}}))
    workspace.write(experiment(grid_sweep({"training.learning_rate": [0.1]})))
    shadow = tmp_path / "shadow" / "matplotlib"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text('raise ImportError("No module named matplotlib")\n')
    workspace.env["PYTHONPATH"] = str(shadow.parent)

    result = workspace.run(launcher)

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"plot:       skipped: matplotlib is not installed for {sys.executable}" in result.stdout
    (parent,) = [
        run
        for run in workspace.csv_dir.iterdir()
        if yaml.safe_load((run / "tags.yaml").read_text())["sweep_role"] == "parent"
    ]
    assert sorted(path.name for path in (parent / "artifacts" / "sweep").iterdir()) == ["definition.txt", "results.csv"]


TPE_SWEEP = {
    "strategy": "tpe",
    "trials": 3,
    "seed": 5,
    "objective": {"metric": "val_loss", "goal": "minimize"},
    "parameters": {
        "training.learning_rate": {"low": 0.01, "high": 0.5, "scale": "log"},
        "training.batch_size": [32, 128],
    },
}


def test_a_tpe_sweep_asks_optuna_for_each_trial_and_tells_it_the_objective(launcher, tmp_path, mlflow_server, client):
    workspace = SweepWorkspace(tmp_path, mlflow_server.url)
    workspace.write(experiment(TPE_SWEEP))

    result = workspace.run(launcher, "--parallel", "2")

    assert result.returncode == 0, result.stdout + result.stderr
    parent, trials = parent_and_trials(client, workspace.experiment_name)
    assert len(trials) == 3
    assert all(run.data.tags["mlflow.parentRunId"] == parent.info.run_id for run in trials)
    for run in trials:
        assert 0.01 <= float(run.data.params["learning_rate"]) <= 0.5
        assert run.data.params["batch_size"] in {"32", "128"}
    losses = {run.data.tags["sweep_trial"]: last_value(client, run.info.run_id, "val_loss") for run in trials}
    best = min(losses, key=losses.__getitem__)
    assert parent.data.params["best_trial"] == best
    assert parent.data.params["sweep.strategy"] == "tpe"


def test_a_tpe_sweep_without_optuna_exits_2_with_nothing_written(launcher, tmp_path):
    workspace = SweepWorkspace(tmp_path, "http://127.0.0.1:9")
    workspace.write(experiment(TPE_SWEEP))
    shadow = tmp_path / "shadow" / "optuna"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text('raise ImportError("No module named optuna")\n')
    workspace.env["PYTHONPATH"] = str(shadow.parent)

    result = workspace.run(launcher)

    assert result.returncode == 2, result.stdout + result.stderr
    assert (
        f"{workspace.experiment_file}: sweep.strategy: tpe needs Optuna for {sys.executable}: optuna is not "
        "installed (pip install 'mlpipelines-tracking[optuna]')" in result.stderr
    )
    assert sorted(path.name for path in tmp_path.iterdir()) == ["experiment.yaml", "shadow", "tracking.yaml"]


BAD_SWEEPS = [
    (
        {"training.learning_rat": [0.1]},
        None,
        "sweep.parameters.training.learning_rat: unknown key path; expected one of model.type",
    ),
    ({"training.learning_rate": []}, None, "sweep.parameters.training.learning_rate: is empty"),
    (
        {"training.learning_rate": {"low": 0.5, "high": 0.01}},
        "random",
        "sweep.parameters.training.learning_rate: low 0.5 is greater than high 0.01; expected low <= high",
    ),
    (
        {"training.learning_rate": [0.1, -1]},
        None,
        "sweep.parameters.training.learning_rate: the value -1 (trial 2) is refused: is -1.0; expected a number "
        "greater than 0",
    ),
]


@pytest.mark.parametrize("front_door", ["launcher", "console-script"])
@pytest.mark.parametrize(("parameters", "strategy", "message"), BAD_SWEEPS)
def test_bad_sweeps_exit_2_naming_the_key_with_nothing_written(
    launcher, tmp_path, front_door, parameters, strategy, message
):
    workspace = SweepWorkspace(tmp_path, "http://127.0.0.1:9")
    sweep = grid_sweep(parameters)
    if strategy:
        sweep.update(strategy=strategy, trials=2)
    workspace.write(experiment(sweep))

    result = workspace.run(launcher if front_door == "launcher" else CONSOLE_SCRIPT)

    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{workspace.experiment_file}: {message}" in result.stderr
    assert result.stdout == ""
    assert sorted(path.name for path in tmp_path.iterdir()) == ["experiment.yaml", "tracking.yaml"]


def test_an_objective_the_script_never_logs_names_what_it_logs(launcher, tmp_path, mlflow_server, client):
    """The list in the message is what a real run logs (checked against its CSV metrics)."""
    workspace = SweepWorkspace(tmp_path, mlflow_server.url)
    sweep = grid_sweep({"training.learning_rate": [0.1]})
    sweep["objective"]["metric"] = "val_los"
    workspace.write(experiment(sweep))
    bad = workspace.run(launcher)
    assert bad.returncode == 2, bad.stdout + bad.stderr
    prefix = f"{workspace.experiment_file}: sweep.objective.metric: 'val_los' is never logged by the training script; "
    assert bad.stderr.startswith("mlpipelines: " + prefix), bad.stderr
    named = bad.stderr.strip().rsplit("expected one of ", 1)[1].split(", ")
    assert not workspace.out.exists() and not workspace.csv_dir.exists()
    assert client.get_experiment_by_name(workspace.experiment_name) is None

    sweep["objective"]["metric"] = "val_accuracy"
    workspace.write(experiment(sweep))
    good = workspace.run(launcher)
    assert good.returncode == 0, good.stdout + good.stderr
    trial_directory = next(
        directory
        for directory in workspace.csv_dir.iterdir()
        if yaml.safe_load((directory / "tags.yaml").read_text())["sweep_role"] == "trial"
    )
    with open(trial_directory / "metrics.csv", newline="", encoding="utf-8") as handle:
        logged = {row["key"] for row in csv.DictReader(handle)}
    assert sorted(named) == sorted(logged)

    workspace.write(experiment(sweep) | {"training": experiment(sweep)["training"] | {"validation_split": 0}})
    no_validation = workspace.run(launcher)
    assert no_validation.returncode == 2
    assert "sweep.objective.metric: 'val_accuracy' is never logged by the training script" in no_validation.stderr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--parallel", "0"], "mlpipelines sweep: --parallel needs a whole number from 1 to 64, got '0'"),
        (["--parallel"], "mlpipelines sweep: --parallel needs a value"),
        (
            ["--trials", "3"],
            "mlpipelines sweep: unknown option '--trials'; expected --tracking, --out, --parallel, --json or --set",
        ),
        (["--set", "training.learning_rate=0.2"], "sweep.parameters.training.learning_rate: is swept, so --set"),
    ],
)
def test_bad_sweep_arguments_exit_2(launcher, tmp_path, arguments, message):
    workspace = SweepWorkspace(tmp_path, "http://127.0.0.1:9")
    workspace.write(experiment(grid_sweep()))
    result = workspace.run(launcher, *arguments)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["experiment.yaml", "tracking.yaml"]


def test_a_sweep_without_a_tracking_backend_is_refused(launcher, tmp_path):
    workspace = SweepWorkspace(tmp_path, "http://127.0.0.1:9")
    workspace.tracking_file.write_text("backends: {}\n")
    workspace.write(experiment(grid_sweep()))
    result = workspace.run(launcher)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{workspace.tracking_file}: backends: no backend is enabled; a sweep reads each trial's objective" in (
        result.stderr
    )
