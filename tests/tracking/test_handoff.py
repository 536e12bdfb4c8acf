"""What the WANDB, COMET and DVCLIVE backends share: a missing library, the mode rule, Java's hand-off."""

import csv
import subprocess
import textwrap
import threading
import time
from types import SimpleNamespace

import pytest
import yaml

from mlpipelines.tracking import TrackingError, registered_trackers
from mlpipelines.tracking.handoff import VendorTracker, resolve_mode
from tracking_helpers import PYTHON, subprocess_env

LIBRARIES = {
    "WANDB": ("wandb", "wandb>=0.20"),
    "COMET": ("comet_ml", "comet_ml>=3.40"),
    "DVCLIVE": ("dvclive", "dvclive>=3.40"),
}

# sys.modules[name] = None is how Python marks a module as not importable: find_spec then finds nothing.
WITHOUT_LIBRARY = textwrap.dedent("""
    import sys
    sys.modules[sys.argv[1]] = None
    from mlpipelines.tracking import MultiBackendTracker, build_parser

    with MultiBackendTracker(build_parser().parse_args(sys.argv[2:])) as tracker:
        for step in range(3):
            tracker.log_metrics({"loss": 1.0 / (step + 1), "acc": 0.5}, step=step)
    """)


@pytest.mark.parametrize("name", sorted(LIBRARIES))
def test_a_backend_without_its_library_names_the_pip_requirement_and_the_others_run(name, tmp_path):
    module, requirement = LIBRARIES[name]
    result = subprocess.run(
        [PYTHON, "-c", WITHOUT_LIBRARY, module, f"--tracking_backends=CSV,{name}", f"--csv_dir={tmp_path / 'csv'}",
         f"--{name.lower()}_dir={tmp_path / name.lower()}"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=subprocess_env(),
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr.count(f"the {name} backend needs {module}: pip install '{requirement}'") == 2, result.stderr
    assert f"mlpipelines.tracking: {name}: sent 0, retried 0, spooled 0, dropped 6" in result.stderr
    with open(tmp_path / "csv" / "run_1" / "metrics.csv", newline="") as rows:
        assert len(list(csv.DictReader(rows))) == 6


@pytest.mark.parametrize(
    "configured, environ, expected",
    [
        ("auto", {}, "offline"),
        ("auto", {"KEY": "  "}, "offline"),
        ("AUTO", {"KEY": "k"}, "online"),
        ("offline", {"KEY": "k"}, "offline"),
        ("Online", {"KEY": "k"}, "online"),
    ],
)
def test_the_mode_is_online_exactly_when_the_credential_is_set(configured, environ, expected):
    assert resolve_mode("X", configured, "KEY", environ) == expected


def test_a_mode_that_cannot_be_used_is_an_error_naming_the_variable_or_the_choices():
    with pytest.raises(TrackingError, match="X: mode online needs KEY in the environment"):
        resolve_mode("X", "online", "KEY", {})
    with pytest.raises(TrackingError, match="X: mode 'sometimes' is not a mode; expected one of auto, offline, online"):
        resolve_mode("X", "sometimes", "KEY", {})


class HangingVendor(VendorTracker):
    """A vendor whose log call never returns, as a W&B or Comet SDK waiting on a dead service would."""

    backend = "HANG"
    vendor_module = "json"
    credential_variable = "HANG_KEY"

    def __init__(self, options, release, **kwargs):
        super().__init__(options, **kwargs)
        self.release = release
        self.closed_with = None

    def _vendor_open(self, run_directory, run_name, mode):
        return {"run": run_name, "files": run_directory}

    def _vendor_metrics(self, metrics, timestamp, step):
        if step == 1:
            self.release.wait(60)

    def _vendor_params(self, params):
        pass

    def _vendor_tags(self, tags):
        pass

    def _vendor_artifact(self, path, artifact_path):
        pass

    def _vendor_close(self, status):
        self.closed_with = status


def test_close_gives_up_a_vendor_that_hangs_within_its_deadline_and_counts_what_it_lost(tmp_path, tracking_log):
    release = threading.Event()
    options = SimpleNamespace(hang_dir=str(tmp_path), hang_run_name=None, hang_mode="offline")
    tracker = HangingVendor(options, release, stall_seconds=1.0)
    tracker.log_metric("loss", 0.5, step=0)
    tracker.log_metric("loss", 0.25, step=1)  # hangs in the vendor
    tracker.log_metrics({"loss": 0.125, "acc": 0.5}, step=2)
    started = time.monotonic()
    tracker.close()
    assert time.monotonic() - started < 10
    release.set()
    report = tracker.delivery_report()
    assert (report.sent, report.dropped) == (1, 3), report
    assert "logged nothing for 1 s while closing; 3 values not logged are dropped" in report.note
    assert tracking_log.text.count("HANG: logging failed") == 1
    assert tracker.closed_with is None
    assert yaml.safe_load((tmp_path / "run_1" / "run.yaml").read_text())["status"] == "FINISHED"


@pytest.mark.parametrize("name", sorted(LIBRARIES))
def test_a_closed_backend_refuses_new_values(name, in_tmp_dir, monkeypatch):
    pytest.importorskip(LIBRARIES[name][0])
    monkeypatch.delenv({"WANDB": "WANDB_API_KEY", "COMET": "COMET_API_KEY", "DVCLIVE": "DVC_STUDIO_TOKEN"}[name], False)
    tracker_class = registered_trackers()[name]
    tracker = tracker_class(tracker_class.options_class(**{f"{name.lower()}_dir": str(in_tmp_dir)}))
    tracker.close()  # never used: nothing opened, nothing written
    assert not any(in_tmp_dir.iterdir())
    with pytest.raises(TrackingError, match="closed"):
        tracker.log_metric("loss", 0.1)


EXIT_WITHOUT_CLOSE = textwrap.dedent("""
    import sys
    from mlpipelines.tracking import MultiBackendTracker, build_parser

    tracker = MultiBackendTracker(build_parser().parse_args(sys.argv[2:]))
    for step in range(30):
        tracker.log_metrics({"loss": float(step)}, step=step)
    if sys.argv[1] == "after-flush":
        tracker.flush()  # the vendors' runs are open, their own exit hooks registered
        for step in range(30, 40):
            tracker.log_metrics({"loss": float(step)}, step=step)
    """)


KEY = "c" * 32


@pytest.mark.parametrize("moment", ["at-once", "after-flush"])
def test_a_script_that_exits_without_close_gets_every_value_logged_at_exit(moment, tmp_path):
    pytest.importorskip("wandb")
    pytest.importorskip("comet_ml")
    pytest.importorskip("dvclive")
    from vendor_files import comet_archive, dvclive_run, wandb_metrics, wandb_offline_runs, wandb_run

    environment = subprocess_env()
    for variable in ("WANDB_API_KEY", "WANDB_MODE", "COMET_API_KEY", "DVC_STUDIO_TOKEN"):
        environment.pop(variable, None)
    result = subprocess.run(
        [
            PYTHON,
            "-c",
            EXIT_WITHOUT_CLOSE,
            moment,
            "--tracking_backends=WANDB,COMET,DVCLIVE",
            "--comet_run_id=" + "c" * 32,
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    steps = list(range(30 if moment == "at-once" else 40))
    for name in ("WANDB", "COMET", "DVCLIVE"):
        assert f"mlpipelines.tracking: {name}: sent {len(steps)}, retried 0, spooled 0, dropped 0" in result.stderr
    (offline,) = wandb_offline_runs(tmp_path / "runs" / "wandb" / "run_1")
    assert [step for step, _ in wandb_metrics(wandb_run(offline))["loss"]] == steps
    held = comet_archive(tmp_path / "runs" / "comet" / "run_1" / ("c" * 32 + ".zip"))
    assert [step for step, _ in held["metrics"]["loss"]] == steps
    assert [
        step for step, _ in dvclive_run(tmp_path / "runs" / "dvclive" / "run_1" / "dvclive")["metrics"]["loss"]
    ] == steps
