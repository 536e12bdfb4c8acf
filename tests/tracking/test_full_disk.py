"""A full disk under the CSV and TensorBoard backends, on a real tiny tmpfs.

What must hold: training goes on and ends in bounded time, the failure is reported once per
backend, every value is either written or counted as dropped (sent + dropped == offered), and
what was written reads back with the csv module and TensorBoard's own EventAccumulator.
"""

import argparse
import csv
import re
import subprocess
import textwrap
import time

import pytest
import yaml
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from mlpipelines.tracking import (
    CsvOptions,
    CsvTracker,
    MultiBackendTracker,
    TensorBoardOptions,
    TensorBoardTracker,
    TrackingError,
    rundirs,
)
from tiny_disk import fill, tiny_tmpfs
from tracking_helpers import PYTHON, subprocess_env

CLOSING_LINE = re.compile(r"mlpipelines\.tracking: (\w+): sent (\d+), retried \d+, spooled \d+, dropped (\d+)")


@pytest.fixture
def disk(tmp_path):
    """A 256 KiB tmpfs, unmounted after the test."""
    with tiny_tmpfs(tmp_path / "disk") as mount_point:
        yield mount_point


def csv_rows(path):
    with open(path, newline="", encoding="utf-8") as source:
        return list(csv.reader(source))


def scalar_count(run_directory):
    accumulator = EventAccumulator(str(run_directory), size_guidance={"scalars": 0})
    accumulator.Reload()
    return sum(len(accumulator.Scalars(tag)) for tag in accumulator.Tags()["scalars"])


def errors_of(log, backend):
    return [record.getMessage() for record in log.records if record.getMessage().startswith(f"{backend}:")]


def test_csv_drops_whole_rows_on_a_full_disk_reports_once_and_writes_again_when_there_is_room(disk, tracking_log):
    tracker = CsvTracker(CsvOptions(csv_dir=str(disk / "csv")))
    tracker.log_metric("loss", 1.0, step=0)  # claims the run: run.yaml and the header are on disk
    filler = fill(disk)
    offered = 1
    for step in range(1, 400):
        tracker.log_metrics({"loss": 1.0 / step, "accuracy": step / 400}, step=step)
        offered += 2
    full = tracker.delivery_report()
    assert full.dropped > 0 and full.sent + full.dropped == offered
    [error] = errors_of(tracking_log, "CSV")
    assert "no space left on device" in error and "metrics.csv" in error
    rows = csv_rows(tracker.metrics_path)
    assert rows[0] == ["step", "timestamp", "key", "value"]
    assert len(rows) - 1 == full.sent and all(len(row) == 4 for row in rows)
    assert [float(row[3]) for row in rows[1:]]  # every value parses: no torn row

    filler.unlink()
    tracker.log_metrics({"loss": 0.01, "accuracy": 1.0}, step=400)
    assert tracker.delivery_report().sent == full.sent + 2
    assert csv_rows(tracker.metrics_path)[-1][::2] == ["400", "accuracy"]

    fill(disk)  # full again: run.yaml cannot get a second copy, so it is ended in place
    tracker.close("FINISHED")
    run = yaml.safe_load((disk / "csv" / "run_1" / "run.yaml").read_text())
    assert run["status"] == "FINISHED" and run["end_time"] >= run["start_time"]
    assert len(errors_of(tracking_log, "CSV")) == 1
    assert sorted(p.name for p in (disk / "csv" / "run_1").iterdir()) == ["metrics.csv", "run.yaml"]


def test_csv_on_a_disk_full_from_the_start_counts_everything_and_says_the_run_was_not_ended(disk, tracking_log):
    fill(disk)
    tracker = MultiBackendTracker(argparse.Namespace(tracking_backends="CSV", csv_dir=str(disk / "csv")))
    for step in range(5):
        tracker.log_metrics({"loss": 1.0, "accuracy": 0.5}, step=step)
    tracker.close()
    [line] = tracker.closing_lines()[:1]
    sent, dropped = map(int, CLOSING_LINE.match(line).groups()[1:])
    assert (sent, dropped) == (0, 10)
    assert "run.yaml not ended as FINISHED" in line and "no space left on device" in line
    assert "DATA WAS LOST" in line
    assert [p.name for p in (disk / "csv" / "run_1").iterdir()] == []  # no temp files left


def test_tensorboard_on_a_full_disk_drops_counted_events_and_the_file_reads_back(disk, tracking_log):
    tracker = TensorBoardTracker(TensorBoardOptions(tensorboard_log_dir=str(disk / "tb")))
    tracker.log_metric("loss", 1.0, step=0)
    tracker.flush()  # the event file exists and has its first page
    filler = fill(disk)
    for step in range(1, 3000):
        tracker.log_metrics({"loss": 1.0 / step, "accuracy": step / 3000}, step=step)
    started = time.monotonic()
    tracker.flush()
    assert time.monotonic() - started < 10
    full = tracker.delivery_report()
    assert full.dropped > 0 and full.sent + full.dropped == 1 + 2 * 2999
    [error] = errors_of(tracking_log, "TENSORBOARD")
    assert "no space left on device" in error
    assert scalar_count(tracker.run_directory) == full.sent

    filler.unlink()  # room again: later values are written
    tracker.log_metrics({"loss": 0.01, "accuracy": 1.0}, step=3000)
    tracker.close()
    assert tracker.delivery_report().sent == full.sent + 2
    assert scalar_count(tracker.run_directory) == full.sent + 2
    assert len(errors_of(tracking_log, "TENSORBOARD")) == 1


def test_yaml_written_atomically_on_a_full_disk_names_the_path_and_leaves_no_temp_file(disk):
    fill(disk)
    target = disk / "params.yaml"
    with pytest.raises(TrackingError, match=r"cannot write .*params\.yaml: no space left on device"):
        rundirs.write_yaml_atomically(str(target), {"lr": "0.1" * 2000})
    assert sorted(p.name for p in disk.iterdir()) == ["filler"]


def test_claiming_a_run_directory_without_free_inodes_names_the_parent(tmp_path):
    with tiny_tmpfs(tmp_path / "disk", inodes=3) as disk:
        (disk / "runs").mkdir()
        (disk / "runs" / "run_1").mkdir()  # the third and last inode (the root holds one)
        with pytest.raises(TrackingError, match=r"cannot create a run directory in .*runs: no space left on device"):
            rundirs.claim_run_directory(str(disk / "runs"))


TRAINING = textwrap.dedent(
    """
    import argparse, sys
    from mlpipelines.tracking import MultiBackendTracker

    csv_dir, tb_dir, steps = sys.argv[1], sys.argv[2], int(sys.argv[3])
    args = argparse.Namespace(tracking_backends="CSV,TENSORBOARD", csv_dir=csv_dir, tensorboard_log_dir=tb_dir)
    with MultiBackendTracker(args) as tracker:
        tracker.log_params({"lr": 0.1})
        for step in range(steps):
            tracker.log_metrics({"loss": 1.0 / (step + 1), "accuracy": step / steps, "lr": 0.1}, step=step)
    print("training finished")
    """
)


def test_a_training_loop_on_a_nearly_full_disk_finishes_and_the_numbers_add_up(disk):
    fill(disk, leave_bytes=4 * 4096)
    steps = 3000
    finished = subprocess.run(
        [PYTHON, "-c", TRAINING, str(disk / "csv"), str(disk / "tb"), str(steps)],
        capture_output=True,
        text=True,
        timeout=120,
        env=subprocess_env(),
    )
    assert finished.returncode == 0, finished.stderr
    assert "training finished" in finished.stdout
    counts = {name: (int(sent), int(dropped)) for name, sent, dropped in CLOSING_LINE.findall(finished.stderr)}
    assert set(counts) == {"CSV", "TENSORBOARD"}, finished.stderr
    for name, (sent, dropped) in counts.items():
        assert dropped > 0 and sent + dropped == 3 * steps, (name, finished.stderr)
    assert finished.stderr.count("DATA WAS LOST") == 2
    assert finished.stderr.count("no space left on device") >= 2
    metrics_files = list((disk / "csv").glob("run_*/metrics.csv"))
    if metrics_files:  # with the header on disk, every row there is whole
        rows = csv_rows(metrics_files[0])
        assert len(rows) - 1 == counts["CSV"][0] and all(len(row) == 4 for row in rows)
    else:
        assert counts["CSV"][0] == 0
    assert scalar_count(disk / "tb" / "run_1") == counts["TENSORBOARD"][0]
