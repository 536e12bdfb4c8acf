"""Backends without a Java API (WANDB, COMET, DVCLIVE): what Java logs lands in the same vendor run as
what Python logs, and both languages choose the same mode.

The real Java trackers (through JPype) start the run and log params, a tag, a metric and an artifact;
the launcher's argv builds the Python half, which logs metrics and closes; the vendor's files are read
back with its own format (``tests/tracking/vendor_files.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from contract_checks import default_config, java_map, launcher_argv
from mlpipelines import bridge
from mlpipelines.tracking import MultiBackendTracker, build_parser
from mlpipelines.tracking.handoff import resolve_mode

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tracking"))
from vendor_files import comet_archive, dvclive_run, wandb_metrics, wandb_offline_runs, wandb_run

CREDENTIALS = {"WANDB": "WANDB_API_KEY", "COMET": "COMET_API_KEY", "DVCLIVE": "DVC_STUDIO_TOKEN"}
JAVA_TIMESTAMP = 1_700_000_000_000


def held_by_wandb(run_directory: Path, params: dict[str, str]) -> dict:
    (offline,) = wandb_offline_runs(run_directory)
    run = wandb_run(offline)
    assert run["run_id"] == params["wandb_run_id"]
    tags = {key[len("tags/") :]: value for key, value in run["summary"].items() if key.startswith("tags/")}
    files = {path for path in run["files"] if path.startswith("experiment/")}
    return {"params": run["config"], "tags": tags, "metrics": wandb_metrics(run), "artifacts": files}


def held_by_comet(run_directory: Path, params: dict[str, str]) -> dict:
    held = comet_archive(run_directory / f"{params['comet_run_id']}.zip")
    tags = {
        key: value
        for key, value in held["others"].items()
        if key not in ("offline_experiment", "Name", "status") and not key.startswith("sys.")
    }
    return {"params": held["params"], "tags": tags, "metrics": held["metrics"], "artifacts": set(held["assets"])}


def held_by_dvclive(run_directory: Path, params: dict[str, str]) -> dict:
    held = dvclive_run(run_directory / "dvclive")
    logged = dict(held["params"])
    tags = logged.pop("tags", {})
    artifacts = {f"experiment/{path.name}" for path in (run_directory / "artifacts" / "experiment").iterdir()}
    return {"params": logged, "tags": tags, "metrics": held["metrics"], "artifacts": artifacts}


READERS = {"WANDB": held_by_wandb, "COMET": held_by_comet, "DVCLIVE": held_by_dvclive}


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No credentials in the environment; the working directory is the test's."""
    for variable in CREDENTIALS.values():
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.delenv("WANDB_MODE", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("name", sorted(READERS))
def test_what_java_logs_lands_in_the_same_run_as_what_python_logs(java, name, offline):
    pytest.importorskip({"WANDB": "wandb", "COMET": "comet_ml", "DVCLIVE": "dvclive"}[name])
    tracking_file = offline / "tracking.yaml"
    tracking_file.write_text(yaml.safe_dump({"backends": {name.lower(): {"dir": str(offline / "runs")}}}))
    artifact = offline / "experiment.yaml"
    artifact.write_text("name: digits\n")

    tracker = java.TrackerFactory.createTracker(java.TrackerFactory.loadConfig(java.Path.of(str(tracking_file), [])))
    try:
        tracker.startNewRun()
        tracker.logParams(bridge.java_class("java.util.Map").of("lr", "0.1", "epochs", "3"))
        tracker.logTag("team", "vision")
        tracker.logMetric("java_metric", 1.5, JAVA_TIMESTAMP, 0)
        tracker.logArtifact(bridge.java_class("java.io.File")(str(artifact)), "experiment")
        params = java_map(tracker.getPythonParams())
        assert params[f"{name.lower()}_mode"] == "offline"

        python = MultiBackendTracker(build_parser().parse_args(launcher_argv(java, params)))
        python.log_metrics({"loss": 0.5, "acc": 0.25}, step=1)
        python.log_metric("loss", 0.25, step=2)
        python.close()
        tracker.endRun(java.RunStatus.FINISHED)
        locations = java_map(tracker.getRunLocations())
    finally:
        tracker.close()

    run_directory = offline / "runs" / params[f"{name.lower()}_run_name"]
    held = READERS[name](run_directory, params)
    assert held["params"] == {"lr": "0.1", "epochs": "3"}
    assert held["tags"] == {"team": "vision"}
    assert held["metrics"] == {"java_metric": [(0, 1.5)], "loss": [(1, 0.5), (2, 0.25)], "acc": [(1, 0.25)]}
    assert held["artifacts"] == {"experiment/experiment.yaml"}

    # The summary's lines (and the JSON summary's) are what the Python half reported.
    location = yaml.safe_load((run_directory / "location.yaml").read_text())
    assert location["files"] in locations.values()
    assert ("sync" in location) == (name != "DVCLIVE")
    if "sync" in location:
        assert location["sync"] in locations.values()
    assert yaml.safe_load((run_directory / "run.yaml").read_text())["status"] == "FINISHED"


@pytest.mark.parametrize("configured", ["auto", "offline", "online", "AUTO", "Online"])
@pytest.mark.parametrize("credential", [None, "", "   ", "key-123"], ids=["unset", "empty", "blank", "set"])
def test_both_languages_choose_the_same_mode(java, configured, credential):
    service_mode = bridge.java_class("de.monticore.mlpipelines.tracking.backend.handoff.ServiceMode")
    tracking_exception = bridge.java_class("de.monticore.mlpipelines.tracking.TrackingException")
    environment = bridge.java_class("java.util.HashMap")()
    python_environment = {}
    if credential is not None:
        environment.put("WANDB_API_KEY", credential)
        python_environment["WANDB_API_KEY"] = credential
    try:
        resolved = service_mode.valueOf(configured.upper()).resolve("WANDB", "WANDB_API_KEY", environment)
        java_mode = str(resolved.option())
    except tracking_exception as error:
        java_mode = f"error: {error.getMessage()}"
    try:
        python_mode = resolve_mode("WANDB", configured, "WANDB_API_KEY", python_environment)
    except Exception as error:
        python_mode = f"error: {error}"
    assert java_mode == python_mode


def test_both_halves_of_each_handoff_backend_name_the_same_files_and_credential(java):
    handoff = bridge.java_class("de.monticore.mlpipelines.tracking.backend.handoff.HandoffTracker")
    from mlpipelines.tracking import handoff as python_handoff
    from mlpipelines.tracking import registered_trackers

    for constant in ("RUN_FILE", "PARAMS_FILE", "TAGS_FILE", "METRICS_FILE", "LOCATION_FILE"):
        assert str(getattr(handoff, constant)) == getattr(python_handoff, constant), constant
    assert str(handoff.ARTIFACTS_DIRECTORY) == python_handoff.ARTIFACTS_DIRECTORY

    checked = []
    for provider in java.TrackingBackends.discover().all():
        if not handoff.class_.isAssignableFrom(provider.trackerClass()):
            continue
        name = str(provider.name())
        tracker = provider.createTracker(default_config(java, provider))
        python_class = registered_trackers()[name]
        assert issubclass(python_class, python_handoff.VendorTracker), name
        assert str(tracker.credentialVariable()) == python_class.credential_variable, name
        checked.append(name)
    assert set(checked) >= {"WANDB", "COMET", "DVCLIVE"}
