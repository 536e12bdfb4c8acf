"""WANDB: an offline W&B run read back from its transaction log, with W&B's own record format."""

import pytest
import yaml

from mlpipelines.tracking import TrackingError
from mlpipelines.tracking.wandb import WandbOptions, WandbTracker
from vendor_files import (
    SCENARIO_METRICS,
    SCENARIO_PARAMS,
    SCENARIO_TIMESTAMP,
    child_processes,
    log_the_scenario,
    wandb_metrics,
    wandb_offline_runs,
    wandb_run,
)

pytest.importorskip("wandb")


@pytest.fixture(autouse=True)
def no_credentials(monkeypatch):
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.delenv("WANDB_MODE", raising=False)


def test_an_offline_run_holds_what_was_logged_and_says_how_to_sync_it(in_tmp_dir, capfd):
    before = child_processes()
    tracker = WandbTracker(WandbOptions(wandb_dir=str(in_tmp_dir / "wb"), wandb_project="digits"))
    log_the_scenario(tracker, in_tmp_dir)

    run_directory = in_tmp_dir / "wb" / "run_1"
    (offline,) = wandb_offline_runs(run_directory)
    run = wandb_run(offline)
    assert (run["run_id"], run["name"], run["project"]) == (tracker.run_id, "run_1", "digits")
    assert wandb_metrics(run) == SCENARIO_METRICS
    assert run["history"][0]["_timestamp"] == SCENARIO_TIMESTAMP / 1000
    assert run["config"] == SCENARIO_PARAMS
    assert run["summary"]["tags/team"] == "vision"
    assert "docs/notes.txt" in run["files"]
    assert (offline / "files" / "docs" / "notes.txt").read_text() == "notes"
    assert run["exit_code"] == 0

    report = tracker.delivery_report()
    assert (report.sent, report.dropped, report.location) == (4, 0, str(offline))
    location = yaml.safe_load((run_directory / "location.yaml").read_text())
    assert location["sync"] == f"wandb sync {offline}" and location["files"] == str(offline)
    assert yaml.safe_load((run_directory / "run.yaml").read_text())["status"] == "FINISHED"
    assert capfd.readouterr().err.count("WANDB: offline (WANDB_API_KEY is not set)") == 1
    assert child_processes() <= before, "W&B's service process outlived close()"


def test_a_directory_artifact_is_saved_file_by_file_at_every_depth(in_tmp_dir):
    (in_tmp_dir / "model" / "weights").mkdir(parents=True)
    (in_tmp_dir / "model" / "config.json").write_text("{}")
    (in_tmp_dir / "model" / "weights" / "layer1.npz").write_text("w")
    tracker = WandbTracker(WandbOptions(wandb_dir=str(in_tmp_dir / "wb")))
    tracker.log_artifact(in_tmp_dir / "model", "checkpoints")
    tracker.close()
    (offline,) = wandb_offline_runs(in_tmp_dir / "wb" / "run_1")
    assert {"checkpoints/model/config.json", "checkpoints/model/weights/layer1.npz"} <= set(wandb_run(offline)["files"])


def test_a_failed_run_ends_with_a_failing_exit_code(in_tmp_dir):
    tracker = WandbTracker(WandbOptions(wandb_dir=str(in_tmp_dir)))
    log_the_scenario(tracker, in_tmp_dir, status="FAILED")
    (offline,) = wandb_offline_runs(in_tmp_dir / "run_1")
    assert wandb_run(offline)["exit_code"] == 1
    assert yaml.safe_load((in_tmp_dir / "run_1" / "run.yaml").read_text())["status"] == "FAILED"


def test_online_without_credentials_is_refused_naming_the_variable(in_tmp_dir):
    tracker = WandbTracker(WandbOptions(wandb_dir=str(in_tmp_dir), wandb_mode="online"))
    with pytest.raises(TrackingError, match="WANDB: mode online needs WANDB_API_KEY in the environment"):
        tracker.log_metric("loss", 0.5)
    assert not any(in_tmp_dir.iterdir())
    tracker.close()
