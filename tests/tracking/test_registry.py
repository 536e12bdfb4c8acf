"""The backend registry: built-ins, register_tracker, entry points, bad declarations."""

import argparse
import json
import re
import subprocess
import textwrap

import pytest

from mlpipelines.tracking import (
    MultiBackendTracker,
    RunTracker,
    TrackingError,
    build_parser,
    option,
    register_tracker,
    registered_trackers,
    tracker_class,
    tracking_options,
    unregister_tracker,
)
from tracking_helpers import PYTHON, subprocess_env


@tracking_options
class JsonLinesOptions:
    jsonl_path: str = option("file the metrics are appended to", default="metrics.jsonl")


class JsonLinesTracker(RunTracker):
    """A third-party backend: one JSON object per metric in a file."""

    options_class = JsonLinesOptions

    def __init__(self, options):
        self.path = options.jsonl_path

    def write_metrics(self, metrics, timestamp, step):
        with open(self.path, "a", encoding="utf-8") as out:
            for key, value in metrics.items():
                out.write(json.dumps({"key": key, "value": value, "step": step}) + "\n")


@pytest.fixture
def jsonl_backend():
    register_tracker("JSONL", JsonLinesTracker)
    yield
    unregister_tracker("JSONL")


def test_built_ins_are_registered_under_their_enum_names():
    assert set(registered_trackers()) >= {"STDOUT", "MLFLOW", "CSV", "TENSORBOARD"}
    assert tracker_class("mlflow").__name__ == "MLflowTracker"


def test_third_party_backend_registered_with_register_tracker(jsonl_backend, in_tmp_dir):
    out = in_tmp_dir / "third party.jsonl"
    args = build_parser().parse_args(["--tracking_backends", "jsonl,csv", "--jsonl_path", str(out)])
    with MultiBackendTracker(args) as tracker:
        tracker.log_metrics({"loss": 0.5, "acc": 0.75}, step=3)
        tracker.log_metric("loss", 0.25, step=4)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows == [
        {"key": "loss", "value": 0.5, "step": 3},
        {"key": "acc", "value": 0.75, "step": 3},
        {"key": "loss", "value": 0.25, "step": 4},
    ]


def test_unknown_backend_lists_the_registered_names():
    registered = ", ".join(registered_trackers())
    with pytest.raises(
        TrackingError, match=re.escape(f"unknown tracking backend 'NOPE'; registered backends: {registered}")
    ):
        MultiBackendTracker(argparse.Namespace(tracking_backends="STDOUT,NOPE"))


@pytest.mark.parametrize(
    "name, declare, message",
    [
        ("jsonl", lambda: JsonLinesTracker, "name 'jsonl' is invalid"),
        ("OTHER", lambda: JsonLinesTracker, "option 'jsonl_path' must match .* start with 'other_'"),
        ("JSONL", lambda: dict, "is not a RunTracker subclass"),
    ],
)
def test_bad_registrations_are_refused(name, declare, message):
    before = registered_trackers()
    with pytest.raises(TrackingError, match=message):
        register_tracker(name, declare())
    assert registered_trackers() == before


def test_option_without_default_is_refused():
    @tracking_options
    class NoDefault:
        nodefault_token: str = option("no default")

    class NoDefaultTracker(JsonLinesTracker):
        options_class = NoDefault

    with pytest.raises(TrackingError, match="option 'nodefault_token' has no default"):
        register_tracker("NODEFAULT", NoDefaultTracker)


def test_plain_dataclass_options_are_refused():
    from dataclasses import dataclass

    @dataclass
    class Plain:
        plain_dir: str = "x"

    class PlainTracker(JsonLinesTracker):
        options_class = Plain

    with pytest.raises(TrackingError, match="not declared as --plain_dir; build Plain with @tracking_options"):
        register_tracker("PLAIN", PlainTracker)


def test_a_name_cannot_be_taken_twice(jsonl_backend):
    class Other(JsonLinesTracker):
        pass

    with pytest.raises(TrackingError, match=r"JSONL is already registered as .*JsonLinesTracker"):
        register_tracker("JSONL", Other)


ACME_MODULE = textwrap.dedent("""
    from mlpipelines.tracking import RunTracker, option, tracking_options

    @tracking_options
    class AcmeOptions:
        acme_file: str = option("output", default="acme.txt")

    class AcmeTracker(RunTracker):
        options_class = AcmeOptions

        def __init__(self, options):
            self.file = options.acme_file

        def write_metrics(self, metrics, timestamp, step):
            with open(self.file, "a") as out:
                for key, value in metrics.items():
                    out.write(f"{step} {key} {value}\\n")
    """)

USE_ACME = textwrap.dedent("""
    import sys
    from mlpipelines.tracking import MultiBackendTracker, build_parser
    args = build_parser().parse_args(sys.argv[1:])
    with MultiBackendTracker(args) as tracker:
        tracker.log_metric("loss", 0.5, step=1)
    """)


def install_distribution(site, entry_points):
    site.mkdir()
    (site / "acme_tracking.py").write_text(ACME_MODULE)
    dist_info = site / "acme_tracking-1.0.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-tracking\nVersion: 1.0\n")
    (dist_info / "entry_points.txt").write_text("[mlpipelines.trackers]\n" + entry_points)


def test_entry_point_backend_needs_no_edit(tmp_path):
    install_distribution(tmp_path / "site", "ACME = acme_tracking:AcmeTracker\n")
    out = tmp_path / "acme.txt"
    env = subprocess_env()
    env["PYTHONPATH"] += ":" + str(tmp_path / "site")
    result = subprocess.run(
        [PYTHON, "-c", USE_ACME, "--tracking_backends", "acme", "--acme_file", str(out)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert out.read_text() == "1 loss 0.5\n"


def test_broken_entry_point_is_reported_and_named_when_requested(tmp_path):
    install_distribution(tmp_path / "site", "BROKEN = acme_tracking:DoesNotExist\n")
    env = subprocess_env()
    env["PYTHONPATH"] += ":" + str(tmp_path / "site")
    result = subprocess.run(
        [PYTHON, "-c", USE_ACME, "--tracking_backends", "BROKEN"], capture_output=True, text=True, env=env
    )
    assert result.returncode == 2
    err = result.stderr
    assert "entry point BROKEN = acme_tracking:DoesNotExist could not be registered" in err
    assert "BROKEN is declared as an entry point but failed to load: AttributeError" in err
