"""COMET: an offline Comet experiment read back from its archive (experiment.json, messages.json)."""

import pytest
import yaml

from mlpipelines.tracking import TrackingError
from mlpipelines.tracking.comet import CometOptions, CometTracker
from vendor_files import SCENARIO_METRICS, SCENARIO_PARAMS, comet_archive, log_the_scenario

pytest.importorskip("comet_ml")


@pytest.fixture(autouse=True)
def no_credentials(monkeypatch):
    monkeypatch.delenv("COMET_API_KEY", raising=False)


def test_an_offline_experiment_holds_what_was_logged_and_says_how_to_upload_it(in_tmp_dir, capfd):
    tracker = CometTracker(CometOptions(comet_dir=str(in_tmp_dir / "comet"), comet_project="digits"))
    log_the_scenario(tracker, in_tmp_dir)

    run_directory = in_tmp_dir / "comet" / "run_1"
    archive = run_directory / f"{tracker.experiment_key}.zip"
    held = comet_archive(archive)
    assert held["experiment"]["offline_id"] == tracker.experiment_key
    assert held["experiment"]["project_name"] == "digits"
    assert held["metrics"] == SCENARIO_METRICS
    assert held["params"] == SCENARIO_PARAMS
    # Comet adds notes of its own about the process (sys.already_imported_modules when torch came first).
    others = {key: value for key, value in held["others"].items() if not key.startswith("sys.")}
    assert others == {"offline_experiment": True, "Name": "run_1", "team": "vision", "status": "FINISHED"}
    assert list(held["assets"]) == ["docs/notes.txt"]

    report = tracker.delivery_report()
    assert (report.sent, report.dropped, report.location) == (4, 0, str(archive))
    assert f"comet upload {archive}" in report.note
    assert yaml.safe_load((run_directory / "location.yaml").read_text())["sync"] == f"comet upload {archive}"
    err = capfd.readouterr().err
    assert err.count("COMET: offline (COMET_API_KEY is not set)") == 1
    assert "COMET INFO" not in err, "Comet's own console lines are cut to errors"


def test_online_without_credentials_is_refused_naming_the_variable(in_tmp_dir):
    tracker = CometTracker(CometOptions(comet_dir=str(in_tmp_dir), comet_mode="online"))
    with pytest.raises(TrackingError, match="COMET: mode online needs COMET_API_KEY in the environment"):
        tracker.log_params({"lr": 0.1})
    tracker.close()
