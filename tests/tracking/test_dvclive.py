"""DVCLIVE: DVCLive's files read back (plots/metrics/*.tsv, metrics.json, params.yaml)."""

import pytest
import yaml

from mlpipelines.tracking import TrackingError
from mlpipelines.tracking.dvclive import DvcLiveOptions, DvcLiveTracker
from vendor_files import SCENARIO_METRICS, SCENARIO_PARAMS, dvclive_run, log_the_scenario

pytest.importorskip("dvclive")


@pytest.fixture(autouse=True)
def no_credentials(monkeypatch):
    monkeypatch.delenv("DVC_STUDIO_TOKEN", raising=False)


def test_a_run_holds_what_was_logged(in_tmp_dir, capfd):
    tracker = DvcLiveTracker(DvcLiveOptions(dvclive_dir=str(in_tmp_dir / "dvc")))
    log_the_scenario(tracker, in_tmp_dir)

    run_directory = in_tmp_dir / "dvc" / "run_1"
    held = dvclive_run(run_directory / "dvclive")
    assert held["metrics"] == SCENARIO_METRICS
    assert held["summary"] == {"train_loss": 0.25, "acc": 0.25, "val": {"loss": 0.75}, "step": 1}
    assert held["params"] == {**SCENARIO_PARAMS, "tags": {"team": "vision"}}
    assert (run_directory / "artifacts" / "docs" / "notes.txt").read_text() == "notes"

    report = tracker.delivery_report()
    assert (report.sent, report.dropped, report.location) == (4, 0, str(run_directory / "dvclive"))
    assert yaml.safe_load((run_directory / "run.yaml").read_text())["status"] == "FINISHED"
    assert capfd.readouterr().err.count("DVCLIVE: offline (DVC_STUDIO_TOKEN is not set)") == 1


def test_online_without_credentials_is_refused_naming_the_variable(in_tmp_dir):
    tracker = DvcLiveTracker(DvcLiveOptions(dvclive_dir=str(in_tmp_dir), dvclive_mode="online"))
    with pytest.raises(TrackingError, match="DVCLIVE: mode online needs DVC_STUDIO_TOKEN in the environment"):
        tracker.log_metric("loss", 0.5)
    tracker.close()
