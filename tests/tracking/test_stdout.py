"""STDOUT backend: readable lines, secrets redacted."""

import math

from mlpipelines.tracking import StdOutOptions, StdOutTracker


def test_one_line_per_call_with_header(capsys):
    tracker = StdOutTracker(StdOutOptions(stdout_experiment_name="digits"))
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
