"""STDOUT backend: a line per epoch (or every N steps), the steps between summarised, secrets redacted."""

import argparse
import math

import pytest

from mlpipelines.tracking import MultiBackendTracker, StdOutOptions, StdOutTracker


def test_every_n_steps_1_prints_every_call_with_header(capsys):
    tracker = StdOutTracker(StdOutOptions(stdout_experiment_name="digits", stdout_every_n_steps=1))
    tracker.log_metrics({"loss": 0.123456789, "acc": 0.9}, step=12)
    tracker.log_metric("lr", 1e-05, step=13)
    tracker.log_metrics({"nan": math.nan, "inf": math.inf, "ninf": -math.inf}, step=14)
    tracker.log_params({"lr": 0.1, "db_password": "hunter2", "api_key": "abc", "MLFLOW_TRACKING_TOKEN": "t"})
    tracker.close()
    assert capsys.readouterr().out.splitlines() == [
        "[digits] tracking experiment 'digits'",
        "[digits] step 12: loss=0.123457 acc=0.9",
        "[digits] step 13: lr=1e-05",
        "[digits] step 14: nan=nan inf=inf ninf=-inf",
        "[digits] params: MLFLOW_TRACKING_TOKEN=******** api_key=******** db_password=******** lr=0.1",
    ]


def test_by_default_one_line_per_epoch_with_the_steps_between_summarised(capsys):
    tracker = StdOutTracker(StdOutOptions(stdout_experiment_name="digits"))
    step = 0
    for epoch in (1, 2):
        for _ in range(4):
            step += 1
            tracker.log_metric("train_loss", float(step), step=step)
        tracker.log_metrics({"epoch": float(epoch), "val_loss": 0.5 / epoch}, step=step)
    tracker.log_metric("train_loss", 0.25, step=step + 1)
    tracker.close()
    assert capsys.readouterr().out.splitlines() == [
        "[digits] tracking experiment 'digits'",
        "[digits] epoch 1 step 4: epoch=1 val_loss=0.5 | train_loss mean 2.5 last 4 over 4 values since step 1",
        "[digits] epoch 2 step 8: epoch=2 val_loss=0.25 | train_loss mean 6.5 last 8 over 4 values since step 5",
        "[digits] at close: train_loss=0.25 since step 9",
    ]


def test_every_n_steps_prints_the_multiples_and_summarises_the_rest(capsys):
    tracker = StdOutTracker(StdOutOptions(stdout_experiment_name="x", stdout_every_n_steps=3))
    for step in range(1, 7):
        tracker.log_metric("loss", float(step), step=step)
    tracker.close()
    assert capsys.readouterr().out.splitlines()[1:] == [
        "[x] step 3: loss=3 | loss mean 1.5 last 2 over 2 values since step 1",
        "[x] step 6: loss=6 | loss mean 4.5 last 5 over 2 values since step 4",
    ]


def test_many_params_print_as_one_indented_block(capsys):
    tracker = StdOutTracker(StdOutOptions(stdout_experiment_name="x"))
    tracker.log_params({f"parameter_number_{i}": "a fairly long value" for i in range(6)})
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == "[x] params:" and lines[2:] == [
        f"    parameter_number_{i}=a fairly long value" for i in range(6)
    ]


def test_a_negative_every_n_steps_is_refused_with_the_option_named():
    with pytest.raises(ValueError, match="stdout_every_n_steps is -2; expected 0"):
        StdOutTracker(StdOutOptions(stdout_every_n_steps=-2))


def test_the_option_reaches_the_backend_through_the_fan_out(capsys):
    args = argparse.Namespace(tracking_backends="STDOUT", stdout_experiment_name="e", stdout_every_n_steps=2)
    with MultiBackendTracker(args) as tracker:
        for step in range(1, 5):
            tracker.log_metric("loss", 1.0, step=step)
    out = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in out[1:]] == ["[e] step 2", "[e] step 4"]
