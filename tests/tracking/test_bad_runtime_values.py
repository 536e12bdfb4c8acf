"""Bad values given to the Python runtime: a ValueError with the whole message, and nothing written.

Each case makes one bad call on a ``MultiBackendTracker`` with CSV and TENSORBOARD, then one good
metric; the stores (read back through the CSV files and TensorBoard's own reader) hold the good one
only. The NaN/±Inf policy is unchanged and has its own tests (test_values.py): non-finite floats are
values, not bad input.
"""

from __future__ import annotations

import argparse
import csv
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlpipelines.tracking import MultiBackendTracker

MISSING = "/nonexistent/model.npz"

# (id, the call, the whole message of its ValueError); ``tracker`` is the tracker, ``files`` a directory of inputs.
CASES: list[tuple[str, Callable[[Any, Path], Any], str]] = [
    ("metric-key-empty", lambda t, f: t.log_metric("", 1.0), "metric key '' is not a non-empty string"),
    ("metric-key-number", lambda t, f: t.log_metric(5, 1.0), "metric key 5 is not a non-empty string"),
    (
        "metric-value-text",
        lambda t, f: t.log_metric("loss", "0.3"),
        "metric 'loss': value '0.3' (str) is not a number; expected an int, a float or a numpy scalar",
    ),
    (
        "metric-value-huge-int",
        lambda t, f: t.log_metric("loss", 10**400),
        "metric 'loss': value (an integer of 1329 bits) is too large for a 64-bit float; expected a number of magnitude below 1.8e308 (or math.inf)",
    ),
    (
        "step-negative",
        lambda t, f: t.log_metric("loss", 1.0, step=-1),
        "metric 'loss': step -1 is negative; expected a non-negative integer",
    ),
    (
        "step-beyond-int64",
        lambda t, f: t.log_metric("loss", 1.0, step=2**63),
        "metric 'loss': step 9223372036854775808 is out of range; expected an integer from 0 to 2**63 - 1 (int64)",
    ),
    (
        "step-float",
        lambda t, f: t.log_metric("loss", 1.0, step=1.5),
        "metric 'loss': step 1.5 (float) is not an integer; expected a non-negative integer",
    ),
    (
        "step-text",
        lambda t, f: t.log_metric("loss", 1.0, step="3"),
        "metric 'loss': step '3' (str) is not an integer; expected a non-negative integer",
    ),
    (
        "timestamp-text",
        lambda t, f: t.log_metric("loss", 1.0, timestamp="now"),
        "metric 'loss': timestamp 'now' is not a number; expected milliseconds since the epoch",
    ),
    (
        "metrics-a-list",
        lambda t, f: t.log_metrics([("loss", 1.0)]),
        "metrics must be a mapping of names to values, not list",
    ),
    ("params-a-list", lambda t, f: t.log_params([("lr", 1)]), "params must be a mapping of names to values, not list"),
    ("param-key-empty", lambda t, f: t.log_params({"": 1}), "param key '' is not a non-empty string"),
    ("tag-key-empty", lambda t, f: t.set_tags({"": "x"}), "tag key '' is not a non-empty string"),
    ("tag-key-number", lambda t, f: t.set_tags({3: "x"}), "tag key 3 is not a non-empty string"),
    ("artifact-missing", lambda t, f: t.log_artifact(MISSING), f"artifact {MISSING!r} does not exist"),
    (
        "artifact-path-climbs",
        lambda t, f: t.log_artifact(f / "model.txt", "../x"),
        "artifact_path '../x' escapes the run's artifact directory; expected a relative path without '..'",
    ),
    (
        "artifact-path-absolute",
        lambda t, f: t.log_artifact(f / "model.txt", "/etc"),
        "artifact_path '/etc' escapes the run's artifact directory; expected a relative path without '..'",
    ),
    (
        "artifact-symlink-to-passwd",
        lambda t, f: t.log_artifact(f / "passwd-link"),
        "artifact '{files}/passwd-link' is a symbolic link (to '/etc/passwd'); refused, since its target is not what was named: log the file it points to instead",
    ),
    (
        "artifact-directory-with-escaping-link",
        lambda t, f: t.log_artifact(f / "escaping"),
        "artifact '{files}/escaping' holds the symbolic link 'sub/secret' to '/etc/passwd', outside the directory; refused, since its target is not what was named",
    ),
    (
        "artifact-directory-with-dangling-link",
        lambda t, f: t.log_artifact(f / "dangling"),
        "artifact '{files}/dangling' holds the symbolic link 'gone' to '/nonexistent/x', which does not exist; refused, since its target is not what was named",
    ),
    (
        "artifact-directory-with-linked-directory",
        lambda t, f: t.log_artifact(f / "linked-dir"),
        "artifact '{files}/linked-dir' holds the symbolic link 'etc' to '/etc', outside the directory; refused, since its target is not what was named",
    ),
    (
        "end-status-unknown",
        lambda t, f: t.close("DONE"),
        "run status 'DONE' cannot end a run; expected one of FINISHED, FAILED, KILLED",
    ),
]


def make_inputs(files: Path) -> None:
    files.mkdir()
    (files / "model.txt").write_text("weights", encoding="utf-8")
    os.symlink("/etc/passwd", files / "passwd-link")
    (files / "escaping" / "sub").mkdir(parents=True)
    (files / "escaping" / "ok.txt").write_text("fine", encoding="utf-8")
    os.symlink("/etc/passwd", files / "escaping" / "sub" / "secret")
    (files / "dangling").mkdir()
    os.symlink("/nonexistent/x", files / "dangling" / "gone")
    (files / "linked-dir").mkdir()
    os.symlink("/etc", files / "linked-dir" / "etc")


def tensorboard_values(directory: Path) -> dict[str, list[float]]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    found: dict[str, list[float]] = {}
    for events in directory.rglob("events.out.tfevents.*"):
        accumulator = EventAccumulator(str(events.parent))
        accumulator.Reload()
        for tag in accumulator.Tags()["scalars"]:
            found.setdefault(tag, []).extend(event.value for event in accumulator.Scalars(tag))
    return found


@pytest.mark.parametrize("call, message", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_bad_value_raises_naming_it_and_nothing_of_it_is_written(tmp_path, call, message):
    files = tmp_path / "files"
    make_inputs(files)
    csv_dir, tb_dir = tmp_path / "csv", tmp_path / "tb"
    tracker = MultiBackendTracker(
        argparse.Namespace(tracking_backends="CSV,TENSORBOARD", csv_dir=str(csv_dir), tensorboard_log_dir=str(tb_dir))
    )
    with tracker:
        with pytest.raises(ValueError) as error:
            call(tracker, files)
        assert str(error.value) == message.format(files=files)
        tracker.log_metric("good", 1.0, step=1)
    run = csv_dir / "run_1"
    with open(run / "metrics.csv", newline="") as source:
        assert [row["key"] for row in csv.DictReader(source)] == ["good"]
    assert not (run / "params.yaml").exists()
    assert not (run / "tags.yaml").exists()
    assert not (run / "artifacts").exists()
    assert tensorboard_values(tb_dir) == {"good": [1.0]}
