"""End to end: the PyTorch example (a small CNN on digits as images) through the Java launcher.

What runs for real: the Gradle-built launcher, the generated train.py importing the vendored
mlpipelines.training module and torch (CPU), an MLflow server on 127.0.0.1, the CSV and TensorBoard
directories. The results are read back through MLflow's client and its own model loader.
"""

import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "digits_cnn.yaml"
EPOCHS = 2
BATCH_SIZE = 64
# digits: 1797 examples; validation_split 0.2 holds out 359.
STEPS = EPOCHS * -(-(1797 - 359) // BATCH_SIZE)

pytest.importorskip("torch")


def launcher_env():
    env = {key: value for key, value in os.environ.items() if not key.startswith("MLFLOW_")}
    env["MLPIPELINES_PYTHON"] = sys.executable
    return env


def tracking_yaml(root, mlflow_url, experiment_name):
    return yaml.safe_dump(
        {
            "backends": {
                "stdout": {"experiment_name": experiment_name},
                "mlflow": {"experiment_name": experiment_name, "tracking_uri": mlflow_url},
                "csv": {"dir": str(root / "runs" / "csv")},
                "tensorboard": {"log_dir": str(root / "runs" / "tb")},
            }
        }
    )


def run_launcher(launcher, root, *args, timeout=900):
    return subprocess.run(
        [str(launcher), *map(str, args)], cwd=root, env=launcher_env(), capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def client(mlflow_server):
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=mlflow_server.url)


def test_the_cnn_example_trains_logs_params_metrics_and_a_model_that_loads_back(
    launcher, tmp_path, mlflow_server, client
):
    name = f"e2e-pytorch-{os.getpid()}"
    (tmp_path / "tracking.yaml").write_text(tracking_yaml(tmp_path, mlflow_server.url, name), encoding="utf-8")
    result = run_launcher(
        launcher,
        tmp_path,
        "run",
        EXAMPLE,
        "--tracking",
        "tracking.yaml",
        "--out",
        "out",
        "--set",
        f"training.epochs={EPOCHS}",
    )
    assert result.returncode == 0, result.stdout + result.stderr

    experiment = client.get_experiment_by_name(name)
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 1
    run = runs[0]
    assert run.info.status == "FINISHED"
    assert run.data.params == {
        "framework": "pytorch",
        "layers": "conv2d(16,k3,p1)-relu-max_pool(2)-conv2d(32,k3,p1)-batch_norm-relu-flatten-dropout(0.25)"
        "-linear(64)-relu-linear(10)",
        "dataset": "digits_image",
        "task": "classification",
        "epochs": str(EPOCHS),
        "batch_size": str(BATCH_SIZE),
        "learning_rate": "0.003",
        "seed": "42",
        "validation_split": "0.2",
        "optimizer": "adamw",
        "momentum": "0.0",
        "weight_decay": "0.0001",
        "lr_schedule": "cosine",
        "lr_step_size": "1",
        "lr_gamma": "0.1",
        "grad_clip_norm": "1.0",
        "early_stopping_monitor": "val_loss",
        "early_stopping_patience": "2",
        "processes": "1",
    }

    run_id = run.info.run_id
    train_loss = client.get_metric_history(run_id, "train_loss")
    assert sorted(metric.step for metric in train_loss) == list(range(1, STEPS + 1)), "each step once"
    for key in ("epoch", "lr", "train_epoch_loss", "train_epoch_accuracy", "val_loss", "val_accuracy"):
        history = client.get_metric_history(run_id, key)
        assert len(history) == EPOCHS, key
    val_accuracy = sorted(client.get_metric_history(run_id, "val_accuracy"), key=lambda metric: metric.step)
    assert val_accuracy[-1].value > 0.8, "the CNN learns the digits"
    lr = sorted(client.get_metric_history(run_id, "lr"), key=lambda metric: metric.step)
    assert lr[0].value == pytest.approx(0.003) and lr[1].value < lr[0].value, "the cosine schedule decays"

    # The logged model: under the run's "Logged models", loaded back with MLflow's own loader.
    import mlflow
    import mlflow.pytorch
    import torch

    models = client.search_logged_models(experiment_ids=[experiment.experiment_id])
    assert len(models) == 1, f"{run.data.tags}\n{result.stderr[-3000:]}"
    assert models[0].source_run_id == run_id
    assert run.data.tags["logged_model_uri"] == f"models:/{models[0].model_id}"
    mlflow.set_tracking_uri(mlflow_server.url)
    loaded = mlflow.pytorch.load_model(f"models:/{models[0].model_id}")

    # The same weights as model.pt beside the script, loaded into the script's own build_model().
    run_directory = next((tmp_path / "out" / "_runs").glob("*/run-*"))
    sys.path.insert(0, str(run_directory))
    try:
        import train  # the generated script, as a module

        network = train.build_model()
        network.load_state_dict(torch.load(run_directory / "checkpoints" / "model.pt"))
    finally:
        sys.path.remove(str(run_directory))
        sys.modules.pop("train", None)
    from sklearn.datasets import load_digits

    images = torch.from_numpy((load_digits().data[:50] / 16.0).reshape(-1, 1, 8, 8).astype(np.float32))
    network.eval()
    loaded.eval()
    with torch.no_grad():
        np.testing.assert_allclose(loaded(images).numpy(), network(images).numpy(), rtol=1e-5, atol=1e-6)
    assert {"best.pt", "last.pt", "model.pt"} <= {path.name for path in (run_directory / "checkpoints").iterdir()}
    best = torch.load(run_directory / "checkpoints" / "best.pt")
    assert best["epoch"] in (1, 2) and set(best["metrics"]) >= {"val_loss", "val_accuracy"}

    # The model file is an artifact of the MLflow run and in the CSV and TensorBoard run directories.
    assert "model/model.pt" in [entry.path for entry in client.list_artifacts(run_id, "model")]
    (csv_run,) = (tmp_path / "runs" / "csv").iterdir()
    assert (csv_run / "artifacts" / "model" / "model.pt").is_file()
    (tb_run,) = [path for path in (tmp_path / "runs" / "tb").iterdir() if path.is_dir()]
    assert (tb_run / "artifacts" / "model" / "model.pt").is_file()
    with open(csv_run / "metrics.csv", newline="", encoding="utf-8") as handle:
        steps = sorted(int(row["step"]) for row in csv.DictReader(handle) if row["key"] == "train_loss")
    assert steps == list(range(1, STEPS + 1))

    summary = result.stdout[result.stdout.index("== summary") :]
    assert "status:     FINISHED" in summary
    requirements = (run_directory / "requirements.txt").read_text(encoding="utf-8")
    assert "torch==2.13.0" in requirements


def test_a_csv_experiment_generates_lint_clean_code_that_trains_and_checks_its_data_at_load_time(launcher, tmp_path):
    from sklearn.datasets import load_iris

    iris = load_iris()
    data = tmp_path / ("a-rather-long-directory-name-" * 4) / "data"
    data.mkdir(parents=True)
    header = "sepal_length,sepal_width,petal_length,petal_width,species\n"
    rows = [",".join(map(str, x)) + "," + iris.target_names[y] for x, y in zip(iris.data, iris.target, strict=True)]
    (data / "train.csv").write_text(header + "\n".join(rows[::2]) + "\n", encoding="utf-8")
    (data / "val.csv").write_text(header + "\n".join(rows[1::2]) + "\n", encoding="utf-8")
    relative = data.relative_to(tmp_path)
    experiment = {
        "name": 'iris "csv"',
        "framework": "pytorch",
        "dataset": {"csv": f"{relative}/train.csv", "label": "species", "validation": f"{relative}/val.csv"},
        "model": {"layers": [{"dense": {"units": 16}}, "tanh", {"dropout": {"rate": 0.1}}, "linear"]},
        "training": {"epochs": 2, "batch_size": 16, "learning_rate": 0.01, "seed": 1, "optimizer": "adam"},
    }
    (tmp_path / "experiment.yaml").write_text(yaml.safe_dump(experiment), encoding="utf-8")
    (tmp_path / "tracking.yaml").write_text("backends: {}\n", encoding="utf-8")
    generated = run_launcher(launcher, tmp_path, "generate", "experiment.yaml", "--tracking", "tracking.yaml")
    assert generated.returncode == 0, generated.stdout + generated.stderr
    (script,) = (tmp_path / "build" / "generated").glob("*/train.py")

    ruff = Path(sys.executable).with_name("ruff")
    config = ROOT / "pyproject.toml"
    for check in (["check"], ["format", "--check", "--diff"]):
        linted = subprocess.run(
            [ruff, *check, "--no-cache", "--config", config, script], cwd=ROOT, capture_output=True, text=True
        )
        assert linted.returncode == 0, linted.stdout + linted.stderr

    trained = subprocess.run(
        [sys.executable, "train.py", "--no-progress"], cwd=script.parent, capture_output=True, text=True, timeout=600
    )
    assert trained.returncode == 0, trained.stdout + trained.stderr
    assert "75 training and 75 validation examples" in trained.stdout
    assert "epoch 2/2" in trained.stdout and "val_accuracy" in trained.stdout

    # The data changed after generation: a clear error at load time, naming the file and what was expected.
    (data / "train.csv").write_text(
        "extra," + header + "\n".join("1," + row for row in rows[::2]) + "\n", encoding="utf-8"
    )
    failed = subprocess.run(
        [sys.executable, "train.py"], cwd=script.parent, capture_output=True, text=True, timeout=600
    )
    assert failed.returncode == 1
    assert (
        f"DataError: {data / 'train.csv'}: examples have the shape (5,); the script was generated for (4,) "
        "(regenerate it after changing the data)" in failed.stderr
    ), failed.stderr
