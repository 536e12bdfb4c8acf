"""End to end: `mlpipelines run` with W&B, Comet and DVCLive, offline, through the installed Java launcher.

The summary names each vendor's run, files and upload command; the files hold Java's params and
the script's metrics of the same run, read back with each vendor's own format.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tracking"))
from test_pipeline import STEPS, experiment_yaml

from vendor_files import comet_archive, dvclive_run, wandb_metrics, wandb_offline_runs, wandb_run

pytest.importorskip("wandb")
pytest.importorskip("comet_ml")
pytest.importorskip("dvclive")

CREDENTIALS = ("WANDB_API_KEY", "WANDB_MODE", "COMET_API_KEY", "DVC_STUDIO_TOKEN")


def test_run_tracks_into_offline_vendor_runs_and_the_summary_says_how_to_upload_them(launcher, tmp_path):
    (tmp_path / "experiment.yaml").write_text(experiment_yaml("digits"), encoding="utf-8")
    runs = tmp_path / "runs"
    (tmp_path / "tracking.yaml").write_text(
        yaml.safe_dump({"backends": {name: {"dir": str(runs / name)} for name in ("wandb", "comet", "dvclive")}})
    )
    env = {key: value for key, value in os.environ.items() if key not in CREDENTIALS and not key.startswith("MLFLOW_")}
    env["MLPIPELINES_PYTHON"] = sys.executable
    result = subprocess.run(
        [str(launcher), "run", "experiment.yaml", "--tracking", "tracking.yaml", "--out", "out"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = dict(line.split(": ", 1) for line in result.stdout.split("== summary")[1].splitlines() if ": " in line)
    for name in ("WANDB", "COMET", "DVCLIVE"):
        assert f"mlpipelines.tracking: {name}: offline" in result.stderr

    (offline,) = wandb_offline_runs(runs / "wandb" / "run_1")
    assert summary["W&B sync"] == f"wandb sync {offline}"
    run = wandb_run(offline)
    assert run["config"]["learning_rate"] == "0.1" and run["exit_code"] == 0
    assert len(wandb_metrics(run)["train_loss"]) == STEPS

    archive = Path(summary["Comet files"])
    assert summary["Comet upload"] == f"comet upload {archive}" and archive.parent == runs / "comet" / "run_1"
    held = comet_archive(archive)
    assert held["params"]["learning_rate"] == "0.1" and len(held["metrics"]["train_loss"]) == STEPS
    assert {"experiment/experiment.yaml", "experiment/train.py"} <= set(held["assets"])

    assert summary["DVCLive files"] == str(runs / "dvclive" / "run_1" / "dvclive")
    files = dvclive_run(Path(summary["DVCLive files"]))
    assert files["params"]["learning_rate"] == "0.1" and len(files["metrics"]["train_loss"]) == STEPS
