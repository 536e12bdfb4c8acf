"""TENSORBOARD backend: scalars read back with TensorBoard's own event reader."""

import math

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from mlpipelines.tracking import TensorBoardOptions, TensorBoardTracker


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
