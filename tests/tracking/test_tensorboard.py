"""TENSORBOARD backend: scalars read back with TensorBoard's own event reader."""

import math
import threading
import time

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from mlpipelines.tracking import TensorBoardOptions, TensorBoardTracker
from mlpipelines.tracking.tensorboard import _EventFile


def scalars(run_directory):
    accumulator = EventAccumulator(str(run_directory))
    accumulator.Reload()
    return {
        tag: [(event.step, event.value, event.wall_time) for event in accumulator.Scalars(tag)]
        for tag in accumulator.Tags()["scalars"]
    }


def test_scalars_with_steps_wall_times_and_non_finite_values(tmp_path):
    tracker = TensorBoardTracker(TensorBoardOptions(tensorboard_log_dir=str(tmp_path)))
    for step in range(3):
        tracker.log_metrics(
            {"train/loss": 1.0 / (step + 1), "acc": step * 0.25}, step=step, timestamp=1_700_000_000_000 + step * 1000
        )
    tracker.log_metric("weird", math.nan, step=5)
    tracker.log_metric("weird", math.inf, step=6)
    tracker.close()
    found = scalars(tmp_path / "run_1")
    assert [(s, round(v, 6), t) for s, v, t in found["train/loss"]] == [
        (0, 1.0, 1_700_000_000.0),
        (1, 0.5, 1_700_000_001.0),
        (2, 0.333333, 1_700_000_002.0),
    ]
    assert [(s, v) for s, v, _ in found["acc"]] == [(0, 0.0), (1, 0.25), (2, 0.5)]
    weird = found["weird"]
    assert weird[0][0] == 5 and math.isnan(weird[0][1])
    assert weird[1][:2] == (6, math.inf)


def test_writes_into_the_run_directory_the_owner_created(tmp_path):
    (tmp_path / "run_4").mkdir()
    tracker = TensorBoardTracker(TensorBoardOptions(tensorboard_log_dir=str(tmp_path), tensorboard_run_name="run_4"))
    tracker.log_metric("loss", 0.5, step=2)
    tracker.flush()
    assert [(s, v) for s, v, _ in scalars(tmp_path / "run_4")["loss"]] == [(2, 0.5)]
    tracker.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run_4"]


def test_a_writer_thread_that_died_is_noticed_and_nothing_waits_for_it(tmp_path, tracking_log, monkeypatch):
    def die(self):
        raise MemoryError("simulated")

    monkeypatch.setattr(TensorBoardTracker, "_drain", die)
    tracker = TensorBoardTracker(TensorBoardOptions(tensorboard_log_dir=str(tmp_path)), max_queued=2000)
    started = time.monotonic()
    for step in range(5000):
        tracker.log_metric("loss", 0.5, step=step)
    tracker.flush()
    tracker.close()
    assert time.monotonic() - started < 10
    report = tracker.delivery_report()
    assert (report.sent, report.dropped) == (0, 5000)
    assert len(tracker._queue) == 0  # values after the death are refused, not queued
    [error] = [record.getMessage() for record in tracking_log.records]
    assert "the writer thread died: MemoryError: simulated" in error


def test_a_stalled_writer_is_given_up_after_its_deadline_and_its_values_count_as_dropped(
    tmp_path, tracking_log, monkeypatch
):
    release = threading.Event()
    monkeypatch.setattr(_EventFile, "append", lambda self, records: (release.wait(30), (0, None))[1])
    tracker = TensorBoardTracker(TensorBoardOptions(tensorboard_log_dir=str(tmp_path)), stall_seconds=0.5)
    try:
        for step in range(10):
            tracker.log_metric("loss", 0.5, step=step)
        started = time.monotonic()
        tracker.flush()
        assert 0.5 <= time.monotonic() - started < 5
        for step in range(10, 15):
            tracker.log_metric("loss", 0.5, step=step)  # refused at once, counted
        tracker.close()
        assert time.monotonic() - started < 5
        assert (tracker.delivery_report().sent, tracker.delivery_report().dropped) == (0, 15)
        [error] = [record.getMessage() for record in tracking_log.records]
        assert "wrote nothing for 0.5 s while flushing; 10 values not written are dropped" in error
    finally:
        release.set()
    tracker._worker.join(10)
    assert tracker.delivery_report().dropped == 15  # the late write does not count twice


def test_a_value_protobuf_cannot_encode_costs_only_that_value(tmp_path, tracking_log):
    tracker = TensorBoardTracker(TensorBoardOptions(tensorboard_log_dir=str(tmp_path)))
    tracker.log_metric("loss", 0.5, step=0)
    # log_metric repairs such a key; a caller of the write hook directly must not cost the other values.
    tracker.write_metric("bad\udcff", 0.5, 0, 1)  # a lone surrogate is not UTF-8
    tracker.log_metric("loss", 0.25, step=2)
    tracker.close()
    report = tracker.delivery_report()
    assert (report.sent, report.dropped) == (2, 1)
    assert [(s, v) for s, v, _ in scalars(tmp_path / "run_1")["loss"]] == [(0, 0.5), (2, 0.25)]
    assert len(tracking_log.records) == 1
