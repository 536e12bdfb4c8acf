"""End to end: concurrent `mlpipelines run` of one experiment never train each other's values.

Three pipelines of one experiment start at once through the installed Java launcher, differing
only in `--set training.learning_rate=…`. Each must log its own rate as the param and train with
it: its final validation loss equals the one of the same experiment run alone with that rate.
STDOUT and CSV tracking only, so no MLflow server is involved; results are read from the CSV
run directories.
"""

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

RATES = ("0.02", "0.1", "0.3")
TIMEOUT_SECONDS = 600


def write_files(root, csv_dir):
    """The experiment (its own rate is none of RATES) and a STDOUT+CSV tracking.yaml."""
    experiment = root / "experiment.yaml"
    experiment.write_text(
        yaml.safe_dump(
            {
                "name": "concurrent",
                "model": {"type": "mlp", "hidden_sizes": [16], "activation": "relu"},
                "dataset": "digits",
                "training": {"epochs": 2, "batch_size": 64, "learning_rate": 0.5, "seed": 5, "validation_split": 0.2},
            }
        ),
        encoding="utf-8",
    )
    tracking = root / f"tracking-{csv_dir.name}.yaml"
    tracking.write_text(
        yaml.safe_dump(
            {
                "backends": {"stdout": {"experiment_name": "concurrent"}, "csv": {"dir": str(csv_dir)}},
            }
        ),
        encoding="utf-8",
    )
    return experiment, tracking


def run_command(launcher, experiment, tracking, out, rate):
    return [
        str(launcher),
        "run",
        str(experiment),
        "--tracking",
        str(tracking),
        "--out",
        str(out),
        "--set",
        f"training.learning_rate={rate}",
    ]


def environment():
    env = {key: value for key, value in os.environ.items() if not key.startswith("MLFLOW_")}
    env["MLPIPELINES_PYTHON"] = sys.executable
    return env


def final_val_loss(run_directory):
    """The text of the last val_loss value in the run's metrics.csv."""
    with open(run_directory / "metrics.csv", newline="", encoding="utf-8") as handle:
        values = [row["value"] for row in csv.DictReader(handle) if row["key"] == "val_loss"]
    assert len(values) == 2, f"{run_directory}: one val_loss per epoch expected, got {values}"
    return values[-1]


def runs_by_rate(csv_dir):
    """learning_rate param -> (run directory, final val_loss) for every CSV run below csv_dir."""
    runs = {}
    for run_directory in sorted(csv_dir.iterdir()):
        params = yaml.safe_load((run_directory / "params.yaml").read_text(encoding="utf-8"))
        assert yaml.safe_load((run_directory / "run.yaml").read_text(encoding="utf-8"))["status"] == "FINISHED"
        rate = str(params["learning_rate"])
        assert rate not in runs, f"two runs logged learning_rate {rate}: {runs[rate][0]}, {run_directory}"
        runs[rate] = (run_directory, final_val_loss(run_directory))
    return runs


def script_directory(stdout):
    """The generated script the run's summary names."""
    match = re.search(r"^script: +(.+)$", stdout, re.MULTILINE)
    assert match, stdout
    return Path(match.group(1)).parent


def test_concurrent_runs_of_one_experiment_train_and_log_their_own_hyperparameters(launcher, tmp_path):
    alone_csv = tmp_path / "alone-csv"
    together_csv = tmp_path / "together-csv"
    experiment, alone_tracking = write_files(tmp_path, alone_csv)
    _, together_tracking = write_files(tmp_path, together_csv)
    env = environment()

    for rate in RATES:
        alone = subprocess.run(
            run_command(launcher, experiment, alone_tracking, tmp_path / "alone-out", rate),
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
        )
        assert alone.returncode == 0, alone.stdout + alone.stderr
    alone_runs = runs_by_rate(alone_csv)
    assert sorted(alone_runs) == sorted(RATES)

    out = tmp_path / "together-out"
    processes = [
        subprocess.Popen(
            run_command(launcher, experiment, together_tracking, out, rate),
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for rate in RATES
    ]
    outputs = []
    try:
        for process in processes:
            stdout, stderr = process.communicate(timeout=TIMEOUT_SECONDS)
            outputs.append((process.returncode, stdout, stderr))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=30)
    for returncode, stdout, stderr in outputs:
        assert returncode == 0, stdout + stderr

    directories = [script_directory(stdout) for _, stdout, _ in outputs]
    assert len(set(directories)) == len(RATES), directories
    assert all(directory.parent == out / "_runs" / "concurrent" for directory in directories), directories

    together_runs = runs_by_rate(together_csv)
    assert sorted(together_runs) == sorted(RATES), "each run logged its own rate as the param"
    for rate in RATES:
        assert together_runs[rate][1] == alone_runs[rate][1], (
            f"learning_rate {rate}: val_loss {together_runs[rate][1]} together, {alone_runs[rate][1]} alone"
        )
    assert len({loss for _, loss in together_runs.values()}) == len(RATES), together_runs
