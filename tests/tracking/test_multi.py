"""MultiBackendTracker: fan-out, failure isolation, closing message, context manager."""

import argparse
import csv
import subprocess

import pytest
import yaml

from mlpipelines.tracking import (
    MultiBackendTracker,
    RunTracker,
    option,
    register_tracker,
    tracking_options,
    unregister_tracker,
)
from tracking_helpers import PYTHON, subprocess_env


@tracking_options
class FlakyOptions:
    flaky_fail_metrics: str = option("fail every metric call", default="yes")


class FlakyTracker(RunTracker):
    """A backend whose disk is full: every call raises."""

    options_class = FlakyOptions

    def __init__(self, options):
        self.closed_with = None

    def write_metrics(self, metrics, timestamp, step):
        raise OSError(28, "No space left on device")

    def write_params(self, params):
        raise OSError(28, "No space left on device")

    def close(self, status="FINISHED"):
        self.closed_with = status


@pytest.fixture
def flaky_backend():
    register_tracker("FLAKY", FlakyTracker)
    yield
    unregister_tracker("FLAKY")


def read_metrics(run_directory):
    with open(run_directory / "metrics.csv", newline="") as source:
        return [(row["key"], int(row["step"]), float(row["value"])) for row in csv.DictReader(source)]


def test_a_failing_backend_is_reported_once_and_the_others_get_everything(
    flaky_backend, tmp_path, tracking_log, capsys
):
    args = argparse.Namespace(
        tracking_backends="FLAKY,CSV,STDOUT",
        csv_dir=str(tmp_path),
        stdout_experiment_name="iso",
        stdout_every_n_steps=1,
    )
    tracker = MultiBackendTracker(args)
    for step in range(5):
        tracker.log_metric("loss", 1.0 / (step + 1), step=step)
        tracker.log_metrics({"acc": step / 10, "f1": 0.5}, step=step)
    tracker.log_params({"lr": "0.1"})
    tracker.close()

    assert len(read_metrics(tmp_path / "run_1")) == 15
    assert yaml.safe_load((tmp_path / "run_1" / "params.yaml").read_text()) == {"lr": 0.1}
    out, err = capsys.readouterr()
    assert out.count("[iso] step ") == 10
    errors = [r.getMessage() for r in tracking_log.records if "FLAKY" in r.getMessage()]
    assert len(errors) == 3  # one per failing call type: log_metric, log_metrics, log_params
    assert any(
        "FLAKY failed in log_metric and was skipped for this call: OSError" in e and "No space left on device" in e
        for e in errors
    )
    assert ("mlpipelines.tracking: FLAKY: sent 0, retried 0, spooled 0, dropped 15 -- DATA WAS LOST") in err
    assert "mlpipelines.tracking: CSV: sent 15, retried 0, spooled 0, dropped 0" in err
    assert "FLAKY: log_metric failed 5 times" in err
    assert tracker.backends[0][1].closed_with == "FINISHED"


def test_context_manager_closes_with_failed_on_exception(tmp_path):
    with (
        pytest.raises(ZeroDivisionError),
        MultiBackendTracker(argparse.Namespace(tracking_backends="csv", csv_dir=str(tmp_path))) as tracker,
    ):
        tracker.log_metric("loss", 0.5)
        raise ZeroDivisionError("division by zero")
    run = yaml.safe_load((tmp_path / "run_1" / "run.yaml").read_text())
    assert run["status"] == "FAILED" and run["end_time"] >= run["start_time"]


def test_context_manager_closes_with_killed_on_keyboard_interrupt(tmp_path):
    with (
        pytest.raises(KeyboardInterrupt),
        MultiBackendTracker(argparse.Namespace(tracking_backends="CSV", csv_dir=str(tmp_path))) as tracker,
    ):
        tracker.log_metric("loss", 0.5)
        raise KeyboardInterrupt
    assert yaml.safe_load((tmp_path / "run_1" / "run.yaml").read_text())["status"] == "KILLED"


def test_missing_options_take_their_defaults(in_tmp_dir):
    with MultiBackendTracker(argparse.Namespace(tracking_backends="CSV")) as tracker:
        tracker.log_metric("loss", 0.5, step=1)
    assert read_metrics(in_tmp_dir / "runs" / "csv" / "run_1") == [("loss", 1, 0.5)]


@pytest.mark.parametrize("names", ["", " , ", (), []], ids=["empty-string", "blank-items", "tuple", "list"])
def test_no_backend_named_tracks_nothing_and_does_not_fail(names, in_tmp_dir, capsys):
    tracker = MultiBackendTracker(argparse.Namespace(tracking_backends=names))
    assert tracker.backend_names == []
    tracker.log_metric("loss", 0.5, step=1)
    tracker.log_metrics({"acc": 0.9}, step=2)
    tracker.log_params({"lr": 0.1})
    tracker.set_tags({"team": "vision"})
    tracker.flush()
    assert tracker.closing_lines() == []
    tracker.close()
    assert capsys.readouterr() == ("", "")
    assert list(in_tmp_dir.iterdir()) == []


def test_generated_script_runs_with_tracking_off(tmp_path):
    script = (
        "from mlpipelines.tracking import MultiBackendTracker, build_parser\n"
        "args = build_parser().parse_args()\n"
        "with MultiBackendTracker(args) as tracker:\n"
        "    tracker.log_metric('loss', 0.5, step=1)\n"
        "print('trained', args.tracking_backends)\n"
    )
    result = subprocess.run(
        [PYTHON, "-c", script, "--tracking_backends="],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=subprocess_env(),
        timeout=120,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "trained ()\n", "")
