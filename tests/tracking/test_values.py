"""Metric value, step and key validation, shared by every backend (read back through CSV)."""

import argparse
import csv
import math

import numpy as np
import pytest

from mlpipelines.tracking import MultiBackendTracker


def csv_tracker(tmp_path):
    return MultiBackendTracker(argparse.Namespace(tracking_backends="CSV", csv_dir=str(tmp_path)))


def rows(tmp_path):
    with open(tmp_path / "run_1" / "metrics.csv", newline="") as source:
        return list(csv.DictReader(source))


def test_numpy_scalars_and_ints_are_accepted(tmp_path):
    with csv_tracker(tmp_path) as tracker:
        tracker.log_metric("f32", np.float32(0.5), step=np.int64(2))
        tracker.log_metric("i64", np.int64(7), step=3)
        tracker.log_metric("zero_d", np.array(1.25))
        tracker.log_metrics({"int": 4, "f64": np.float64(1e-05)}, step=5, timestamp=1_700_000_000_000)
    values = [(row["key"], row["value"], row["step"]) for row in rows(tmp_path)]
    assert values == [
        ("f32", "0.5", "2"),
        ("i64", "7.0", "3"),
        ("zero_d", "1.25", "0"),
        ("int", "4.0", "5"),
        ("f64", "1e-05", "5"),
    ]
    assert rows(tmp_path)[-1]["timestamp"] == "1700000000000"


@pytest.mark.parametrize(
    "value, shown",
    [
        ("0.3", r"'0\.3' \(str\)"),
        (None, r"None \(NoneType\)"),
        (True, r"True \(bool\)"),
        ([1.0], r"\[1.0\] \(list\)"),
        (np.array([1.0, 2.0]), r"array.* \(ndarray\)"),
        (1 + 2j, r"\(1\+2j\) \(complex\)"),
    ],
)
def test_non_numeric_value_is_a_value_error_naming_the_key(tmp_path, value, shown):
    with csv_tracker(tmp_path) as tracker:
        with pytest.raises(ValueError, match=rf"metric 'val/loss': value {shown}.*is not a number"):
            tracker.log_metric("val/loss", value, step=1)
        with pytest.raises(ValueError, match="metric 'acc': value"):
            tracker.log_metrics({"loss": 0.1, "acc": value}, step=1)
        tracker.log_metric("ok", 1.0)
    assert [row["key"] for row in rows(tmp_path)] == ["ok"]  # nothing of the bad calls written


@pytest.mark.parametrize(
    "step, problem",
    [
        (-1, "step -1 is negative"),
        (1.5, r"step 1.5 \(float\) is not an integer"),
        (2.0, r"step 2.0 \(float\) is not an integer"),
        ("3", r"step '3' \(str\) is not an integer"),
        (True, "step True"),
        (np.int32(-4), "step -4 is negative"),
    ],
)
def test_bad_step_is_a_value_error_naming_the_key(tmp_path, step, problem):
    with csv_tracker(tmp_path) as tracker:
        with pytest.raises(ValueError, match=f"metric 'loss': {problem}"):
            tracker.log_metric("loss", 0.1, step=step)
        with pytest.raises(ValueError, match=f"metric 'loss': {problem}"):
            tracker.log_metrics({"loss": 0.1}, step=step)


def test_bad_key_and_timestamp_are_value_errors(tmp_path):
    with csv_tracker(tmp_path) as tracker:
        with pytest.raises(ValueError, match="metric key '' is not a non-empty string"):
            tracker.log_metric("", 1.0)
        with pytest.raises(ValueError, match="metric key 3 is not a non-empty string"):
            tracker.log_metrics({3: 1.0})
        with pytest.raises(ValueError, match="metric 'loss': timestamp -5 is negative"):
            tracker.log_metric("loss", 1.0, timestamp=-5)
        with pytest.raises(ValueError, match="metric 'loss': timestamp 'now' is not a number"):
            tracker.log_metric("loss", 1.0, timestamp="now")


def test_nan_and_inf_are_accepted(tmp_path):
    with csv_tracker(tmp_path) as tracker:
        tracker.log_metrics({"nan": math.nan, "inf": np.float64("inf"), "ninf": -math.inf})
    assert [row["value"] for row in rows(tmp_path)] == ["nan", "inf", "-inf"]


def test_bad_params_and_status_are_value_errors(tmp_path):
    tracker = csv_tracker(tmp_path)
    with pytest.raises(ValueError, match="params must be a mapping"):
        tracker.log_params(["lr", 0.1])
    with pytest.raises(ValueError, match="tag key '' is not a non-empty string"):
        tracker.set_tags({"": "x"})
    with pytest.raises(ValueError, match=r"artifact_path '\.\./up' escapes"):
        tracker.log_artifact(__file__, artifact_path="../up")
    with pytest.raises(ValueError, match="does not exist"):
        tracker.log_artifact(tmp_path / "missing.txt")
    with pytest.raises(
        ValueError, match="run status 'DONE' cannot end a run; expected one of FINISHED, FAILED, KILLED"
    ):
        tracker.close("DONE")
    tracker.close()


@pytest.mark.parametrize(
    "key, repaired",
    [
        ("loss@val", "loss_val"),
        ("val/loss", "val/loss"),
        ("a b:c-d.e_f", "a b:c-d.e_f"),
        ("größe", "größe"),  # \w is Unicode in MLflow's rule as well
        ("a//b", "a__b"),
        ("./a", "._a"),
        ("a/..", "a_.."),
        ("/abs", "_abs"),
        ("..", "__"),
        ("x" * 300, "x" * 250),
    ],
)
def test_keys_are_repaired_to_mlflows_rules_once_with_a_warning(tmp_path, tracking_log, key, repaired):
    with csv_tracker(tmp_path) as tracker:
        tracker.log_metric(key, 1.0, step=1)
        tracker.log_metrics({key: 2.0}, step=2)
    assert [(row["key"], row["step"]) for row in rows(tmp_path)] == [(repaired, "1"), (repaired, "2")]
    warnings = [r.getMessage() for r in tracking_log.records if "is not valid in MLflow" in r.getMessage()]
    assert len(warnings) == (0 if key == repaired else 1)


def test_a_step_beyond_int64_and_a_value_beyond_float_are_value_errors_naming_the_key(tmp_path):
    with csv_tracker(tmp_path) as tracker:
        with pytest.raises(ValueError, match=r"metric 'loss': step 1180591620717411303424 is out of range.*int64"):
            tracker.log_metric("loss", 0.1, step=2**70)
        with pytest.raises(ValueError, match=r"metric 'loss': step 9223372036854775808 is out of range"):
            tracker.log_metrics({"loss": 0.1}, step=np.uint64(2**63))
        with pytest.raises(
            ValueError, match=r"metric 'huge': value \(an integer of 1329 bits\) is too large for a 64-bit float"
        ):
            tracker.log_metric("huge", 10**400)
        with pytest.raises(ValueError, match=r"metric 'huge': value \(an integer of 1329 bits\) is too large"):
            tracker.log_metrics({"ok": 1.0, "huge": -(10**400)})
        with pytest.raises(ValueError, match=r"metric 'huger': value \(an integer of 16610 bits\) is too large"):
            tracker.log_metric("huger", 10**5000)
        tracker.log_metric("loss", 0.5, step=2**63 - 1)
    assert [(row["key"], row["step"]) for row in rows(tmp_path)] == [("loss", str(2**63 - 1))]
