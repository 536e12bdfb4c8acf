"""CSV backend: the contract's run directory, read back with the csv module."""

import argparse
import csv
import math
import os
import threading

import pytest
import yaml

from mlpipelines.tracking import CsvOptions, CsvTracker, MultiBackendTracker, TrackingError


def read_rows(path):
    with open(path, newline="", encoding="utf-8") as source:
        return list(csv.reader(source))


def test_metrics_params_tags_and_run_file(tmp_path):
    tracker = CsvTracker(CsvOptions(csv_dir=str(tmp_path)))
    tracker.log_metrics({"loss": 0.25, "lr": 1e-05}, step=0, timestamp=1000)
    tracker.log_metric('odd, "key"', math.nan, step=1, timestamp=2000)
    tracker.log_metric("big", math.inf, step=2, timestamp=3000)
    tracker.log_metric("small", -math.inf, step=2, timestamp=3000)
    tracker.log_params({"lr": 1e-05, "optimizer": "adam"})
    tracker.log_params({"epochs": 3})
    tracker.set_tags({"team": "vision ü"})
    artifact = tmp_path / "model.txt"
    artifact.write_text("weights")
    tracker.log_artifact(artifact, artifact_path="models/best")
    run_directory = tmp_path / "run_1"
    assert read_rows(run_directory / "metrics.csv") == [
        ["step", "timestamp", "key", "value"],
        ["0", "1000", "loss", "0.25"],
        ["0", "1000", "lr", "1e-05"],
        ["1", "2000", "odd_ _key_", "nan"],  # repaired to MLflow's rules for every backend
        ["2", "3000", "big", "inf"],
        ["2", "3000", "small", "-inf"],
    ]
    run = yaml.safe_load((run_directory / "run.yaml").read_text())
    assert run["status"] == "RUNNING" and run["name"] == "run_1"  # rows are there before close
    tracker.close("FAILED")
    params = yaml.safe_load((run_directory / "params.yaml").read_text())
    assert params == {"lr": 1e-05, "optimizer": "adam", "epochs": 3}  # typed, as Lightning's hparams.yaml
    assert [type(params[k]) for k in ("lr", "optimizer", "epochs")] == [float, str, int]
    assert yaml.safe_load((run_directory / "tags.yaml").read_text(encoding="utf-8")) == {"team": "vision ü"}
    assert (run_directory / "artifacts" / "models" / "best" / "model.txt").read_text() == "weights"
    run = yaml.safe_load((run_directory / "run.yaml").read_text())
    assert run["status"] == "FAILED" and run["end_time"] >= run["start_time"]
    assert tracker.delivery_report().sent == 5


def test_params_keep_their_types_and_read_back_as_the_logged_text(tmp_path):
    """yaml.safe_load gives numbers and booleans typed; str() of every value is exactly the logged text."""
    logged = {
        "lr": 0.1, "eps": 1e-05, "epochs": 10, "offset": -2, "big": 2**70, "dropout": 0.0, "amsgrad": True,
        "shuffle": False, "ratio": math.inf, "padded": "0.10", "short": "1e5", "lower": "true",
        "octal": "007", "plus": "+3", "name": "adam", "date": "2024-01-01", "empty": "", "missing": None,
    }  # fmt: skip
    tracker = CsvTracker(CsvOptions(csv_dir=str(tmp_path)))
    tracker.log_params(logged)
    tracker.close("FINISHED")
    params = yaml.safe_load((tmp_path / "run_1" / "params.yaml").read_text(encoding="utf-8"))
    assert {k: str(v) for k, v in params.items()} == {k: str(v) for k, v in logged.items()}
    assert {k: type(v).__name__ for k, v in params.items()} == {
        "lr": "float", "eps": "float", "epochs": "int", "offset": "int", "big": "int", "dropout": "float",
        "amsgrad": "bool", "shuffle": "bool", "ratio": "float", "padded": "str", "short": "str", "lower": "str",
        "octal": "str", "plus": "str", "name": "str", "date": "str", "empty": "str", "missing": "str",
    }  # fmt: skip


def test_params_merge_with_keys_written_by_the_other_half(tmp_path):
    run_directory = tmp_path / "run_7"
    run_directory.mkdir()
    (run_directory / "params.yaml").write_text("batch_size: '32'\nlr: '0.5'\n")
    (run_directory / "run.yaml").write_text("name: run_7\nstatus: RUNNING\n")
    tracker = CsvTracker(CsvOptions(csv_dir=str(tmp_path), csv_run_name="run_7"))
    tracker.log_params({"lr": 0.1})
    tracker.log_metric("loss", 2.0, step=3)
    tracker.close("FINISHED")
    # The other half's string '32' is retyped by the same rule on the merge.
    assert yaml.safe_load((run_directory / "params.yaml").read_text()) == {"batch_size": 32, "lr": 0.1}
    # The owner (Java) writes run.yaml; Python leaves it alone.
    assert yaml.safe_load((run_directory / "run.yaml").read_text())["status"] == "RUNNING"
    assert read_rows(run_directory / "metrics.csv")[1][::2] == ["3", "loss"]


def test_given_run_name_must_exist(tmp_path, tracking_log):
    tracker = CsvTracker(CsvOptions(csv_dir=str(tmp_path), csv_run_name="run_9"))
    with pytest.raises(
        TrackingError,
        match=r"--csv_run_name 'run_9': run directory .*run_9 does "
        r"not exist; the run's owner creates it",
    ):
        tracker.log_metric("loss", 1.0)
    with pytest.raises(TrackingError, match="is not a plain directory name"):
        CsvTracker(CsvOptions(csv_dir=str(tmp_path), csv_run_name="../x")).log_metric("loss", 1.0)


def test_rows_reach_the_file_before_close(tmp_path):
    tracker = CsvTracker(CsvOptions(csv_dir=str(tmp_path)))
    tracker.log_metric("loss", 0.5, step=1)
    assert read_rows(tmp_path / "run_1" / "metrics.csv")[1][2:] == ["loss", "0.5"]
    tracker.close()


def test_concurrent_trackers_claim_distinct_runs(tmp_path):
    (tmp_path / "run_3").mkdir()  # N = 1 + highest existing
    trackers = [CsvTracker(CsvOptions(csv_dir=str(tmp_path))) for _ in range(8)]
    threads = [threading.Thread(target=t.log_metric, args=("loss", 1.0)) for t in trackers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    names = sorted((os.path.basename(t.run_directory) for t in trackers), key=lambda name: int(name[4:]))
    assert names == [f"run_{n}" for n in range(4, 12)]
    for tracker in trackers:
        tracker.close()


def test_two_writers_share_one_metrics_file_without_torn_rows(tmp_path):
    run_directory = tmp_path / "shared"
    run_directory.mkdir()
    options = CsvOptions(csv_dir=str(tmp_path), csv_run_name="shared")
    writers = [MultiBackendTracker(argparse.Namespace(tracking_backends="CSV", **vars_of(options))) for _ in range(2)]

    def log(tracker, key):
        for step in range(500):
            tracker.log_metrics({key: step * 0.5, key + "_b": 1.0}, step=step)

    threads = [threading.Thread(target=log, args=(w, f"w{i}")) for i, w in enumerate(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for writer in writers:
        writer.close()
    rows = read_rows(run_directory / "metrics.csv")
    assert rows[0] == ["step", "timestamp", "key", "value"] and len(rows) == 2001
    assert all(len(row) == 4 for row in rows)
    assert sorted(float(r[3]) for r in rows[1:] if r[2] == "w1") == [s * 0.5 for s in range(500)]


def vars_of(options):
    return {name: getattr(options, name) for name in options.__dataclass_fields__}


def read_dicts(path):
    with open(path, newline="", encoding="utf-8") as source:
        return list(csv.DictReader(source))


def test_wide_layout_is_one_row_per_step_with_a_column_per_metric_as_lightning_writes_it(tmp_path, tracking_log):
    tracker = CsvTracker(CsvOptions(csv_dir=str(tmp_path), csv_layout="wide"))
    path = tmp_path / "run_1" / "metrics.csv"
    tracker.log_metric("train_loss", 0.5, step=1)
    tracker.log_metric("train_loss", 0.25, step=2)
    assert read_rows(path) == [["step", "train_loss"], ["1", "0.5"]]  # a row is written once its step is complete
    tracker.log_metrics({"epoch": 1.0, "val_loss": 0.75}, step=2)  # same step: joins the row
    tracker.log_metric("train_loss", 0.125, step=2)  # again in step 2: a new row
    tracker.log_metric("step", 7.0, step=3)
    tracker.close()
    rows = read_rows(path)
    assert rows[0] == ["epoch", "metric.step", "step", "train_loss", "val_loss"]  # sorted, as Lightning's
    assert rows[1:] == [
        ["", "", "1", "0.5", ""],
        ["1.0", "", "2", "0.25", "0.75"],
        ["", "", "2", "0.125", ""],
        ["", "7.0", "3", "", ""],
    ]
    assert "a metric named 'step' is written as 'metric.step'" in tracking_log.text
    assert tracker.delivery_report().sent == 6


def test_wide_layout_under_a_journal_moves_its_cursor_only_for_written_values(tmp_path):
    journal = tmp_path / "metrics.journal"
    args = argparse.Namespace(
        tracking_backends="CSV", csv_dir=str(tmp_path / "csv"), csv_layout="wide", tracking_journal=str(journal)
    )
    from mlpipelines.tracking.journal import JournalReader

    with MultiBackendTracker(args) as tracker:
        for step in range(3):
            tracker.log_metrics({"a": float(step), "b": 1.0}, step=step)
        assert JournalReader(str(journal)).cursors == {"CSV": 0}  # buffered: the journal holds them
        tracker.flush()
        assert JournalReader(str(journal)).cursors == {"CSV": 6}
    assert [row["a"] for row in read_dicts(tmp_path / "csv" / "run_1" / "metrics.csv")] == ["0.0", "1.0", "2.0"]


def test_long_layout_under_a_journal_buffers_until_flush_or_a_second_has_passed(tmp_path, monkeypatch):
    from mlpipelines.tracking import csv as csv_backend

    args = argparse.Namespace(
        tracking_backends="CSV", csv_dir=str(tmp_path / "csv"), tracking_journal=str(tmp_path / "j")
    )
    path = tmp_path / "csv" / "run_1" / "metrics.csv"
    with MultiBackendTracker(args) as tracker:
        tracker.log_metric("loss", 0.5, step=1)
        assert len(read_rows(path)) == 1
        tracker.flush()
        assert read_rows(path)[1][2:] == ["loss", "0.5"]
        monkeypatch.setattr(csv_backend, "_MAX_BUFFER_SECONDS", 0.0)  # the oldest buffered row is due at once
        for step in range(2, 65):
            tracker.log_metric("loss", 0.25, step=step)
        assert len(read_rows(path)) == 2  # the clock is read every 64 rows
        tracker.log_metric("loss", 0.125, step=65)
        assert len(read_rows(path)) == 66 and read_rows(path)[-1][2:] == ["loss", "0.125"]
        tracker.log_metrics({"a": 1.0, "b": 2.0}, step=66)  # log_metrics reads it at every call
        assert len(read_rows(path)) == 68


def test_an_unknown_layout_is_refused_naming_the_choices():
    with pytest.raises(ValueError, match="csv_layout is 'tall'; expected one of long, wide"):
        CsvTracker(CsvOptions(csv_layout="tall"))
