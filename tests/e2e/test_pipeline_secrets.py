"""A value under a secret-looking key is never stored in clear: not in MLflow, CSV or TensorBoard.

Through a real ``mlpipelines run``: a tag ``api_token: ${API_KEY}`` in tracking.yaml and a secret in the
environment; MLflow's run (read with MlflowClient), the CSV run's ``tags.yaml`` and every byte of every
file the pipeline wrote (TensorBoard's event files included) hold the mask, never the value.
"""

from __future__ import annotations

import os
import subprocess
import sys

import yaml

SECRET = "sk-live-0123456789abcdefXYZ"


def test_a_secret_tag_is_masked_in_every_backend(launcher, tmp_path, mlflow_server):
    from mlflow.tracking import MlflowClient

    experiment_name = f"e2e-secrets-{os.getpid()}"
    (tmp_path / "experiment.yaml").write_text(
        "name: secrets\nmodel: {type: softmax_regression}\ndataset: digits\n"
        "training: {epochs: 1, batch_size: 256, learning_rate: 0.1, seed: 1}\n",
        encoding="utf-8",
    )
    tracking = {
        "backends": {
            "mlflow": {"experiment_name": experiment_name, "tracking_uri": mlflow_server.url},
            "csv": {"dir": "runs/csv"},
            "tensorboard": {"log_dir": "runs/tb"},
        },
        "tags": {"api_token": "${API_KEY}", "team": "vision"},
    }
    (tmp_path / "tracking.yaml").write_text(yaml.safe_dump(tracking), encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if not key.startswith("MLFLOW_")}
    env.update(API_KEY=SECRET, MLPIPELINES_PYTHON=sys.executable)
    result = subprocess.run(
        [str(launcher), "run", "experiment.yaml", "--tracking", "tracking.yaml", "--out", "out"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert SECRET not in result.stdout + result.stderr

    client = MlflowClient(tracking_uri=mlflow_server.url)
    (run,) = client.search_runs([client.get_experiment_by_name(experiment_name).experiment_id])
    assert (run.data.tags["api_token"], run.data.tags["team"]) == ("********", "vision")
    (csv_run,) = (tmp_path / "runs" / "csv").iterdir()
    tags = yaml.safe_load((csv_run / "tags.yaml").read_text(encoding="utf-8"))
    assert (tags["api_token"], tags["team"]) == ("********", "vision")
    event_files = list((tmp_path / "runs" / "tb").rglob("events.out.tfevents.*"))
    assert event_files
    # The tags table is Markdown, whose special characters are escaped: "| api\_token | \*\*… |".
    masked_row = b"| api\\_token | " + b"\\*" * 8 + b" |"
    assert any(masked_row in path.read_bytes() for path in event_files), "the tag is in TensorBoard, masked"
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), f"{path} holds the secret in clear"
