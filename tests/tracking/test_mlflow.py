"""MLFLOW backend against a real MLflow server and a local SQLite store, read with MlflowClient."""

import argparse
import math
import os
import time
import uuid

import mlflow
import pytest

from mlpipelines.tracking import MLflowOptions, MLflowTracker, MultiBackendTracker, TrackingError
from tracking_helpers import history, new_run

MAX_DOUBLE = 1.7976931348623157e308


def java_owned(server, run_id):
    return MLflowOptions(mlflow_tracking_uri=server.url, mlflow_run_id=run_id)


def unique(name):
    return f"{name}-{uuid.uuid4().hex[:8]}"


def only_run(tracking_uri, experiment_name):
    client = mlflow.MlflowClient(tracking_uri)
    experiment = client.get_experiment_by_name(experiment_name)
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 1
    return runs[0]


def test_own_run_gets_every_value_params_tags_and_finished(mlflow_server, in_tmp_dir, capsys):
    experiment = unique("own")
    args = argparse.Namespace(
        tracking_backends="MLFLOW", mlflow_tracking_uri=mlflow_server.url, mlflow_experiment_name=experiment
    )
    with MultiBackendTracker(args) as tracker:
        for step in range(1200):
            tracker.log_metrics({"loss": 1.0 / (step + 1), "acc": step / 1200}, step=step)
        tracker.log_metric("lr", 0.01, step=7, timestamp=1_700_000_000_000)
        tracker.log_params({"lr": 0.01, "optimizer": "adam"})
        tracker.set_tags({"team": "vision", "note": "Größe 実験"})
    run = only_run(mlflow_server.url, experiment)
    assert run.info.status == "FINISHED" and run.info.end_time is not None
    assert history(mlflow_server.url, run.info.run_id, "loss") == [(step, 1.0 / (step + 1)) for step in range(1200)]
    assert len(history(mlflow_server.url, run.info.run_id, "acc")) == 1200
    lr = mlflow.MlflowClient(mlflow_server.url).get_metric_history(run.info.run_id, "lr")
    assert [(m.step, m.value, m.timestamp) for m in lr] == [(7, 0.01, 1_700_000_000_000)]
    assert run.data.params == {"lr": "0.01", "optimizer": "adam"}
    assert run.data.tags["team"] == "vision" and run.data.tags["note"] == "Größe 実験"
    err = capsys.readouterr().err
    assert (
        f"MLFLOW: sent 2405, retried 0, spooled 0, dropped 0; "
        f"{mlflow_server.url}/#/experiments/{run.info.experiment_id}/runs/{run.info.run_id}"
    ) in err


def test_own_run_ends_failed_when_training_raises(mlflow_server, in_tmp_dir):
    experiment = unique("failed")
    args = argparse.Namespace(
        tracking_backends="MLFLOW", mlflow_tracking_uri=mlflow_server.url, mlflow_experiment_name=experiment
    )
    with pytest.raises(RuntimeError), MultiBackendTracker(args) as tracker:
        tracker.log_metric("loss", 0.5, step=1)
        raise RuntimeError("diverged")
    run = only_run(mlflow_server.url, experiment)
    assert run.info.status == "FAILED"
    assert history(mlflow_server.url, run.info.run_id, "loss") == [(1, 0.5)]


def test_run_owned_by_the_java_side_is_never_ended(mlflow_server, in_tmp_dir):
    run_id = new_run(mlflow_server.url, unique("java"))
    tracker = MLflowTracker(java_owned(mlflow_server, run_id))
    for step in range(300):
        tracker.log_metric("loss", step * 0.5, step=step)
    tracker.close("FAILED")
    run = mlflow.MlflowClient(mlflow_server.url).get_run(run_id)
    assert run.info.status == "RUNNING" and run.info.end_time is None
    assert history(mlflow_server.url, run_id, "loss") == [(s, s * 0.5) for s in range(300)]


def test_nan_kept_infinity_stored_as_max_double_with_one_warning_per_key(mlflow_server, in_tmp_dir, tracking_log):
    run_id = new_run(mlflow_server.url, unique("nonfinite"))
    tracker = MLflowTracker(java_owned(mlflow_server, run_id))
    tracker.log_metric("nan", math.nan, step=0)
    tracker.log_metric("up", math.inf, step=0)
    tracker.log_metric("up", math.inf, step=1)
    tracker.log_metric("down", -math.inf, step=0)
    tracker.close()
    assert math.isnan(history(mlflow_server.url, run_id, "nan")[0][1])
    assert history(mlflow_server.url, run_id, "up") == [(0, MAX_DOUBLE), (1, MAX_DOUBLE)]
    assert history(mlflow_server.url, run_id, "down") == [(0, -MAX_DOUBLE)]
    warnings = [r.getMessage() for r in tracking_log.records if "infinite value" in r.getMessage()]
    assert len(warnings) == 2 and "'up'" in warnings[0] and "'down'" in warnings[1]


def test_invalid_metric_key_is_repaired_with_a_warning(mlflow_server, in_tmp_dir, tracking_log):
    run_id = new_run(mlflow_server.url, unique("keys"))
    tracker = MLflowTracker(java_owned(mlflow_server, run_id))
    tracker.log_metric("loss@mlflow", 0.5, step=1)  # a key no other test logs: one warning per process
    tracker.log_metric("val/loss", 0.25, step=1)
    tracker.close()
    assert history(mlflow_server.url, run_id, "loss_mlflow") == [(1, 0.5)]
    assert history(mlflow_server.url, run_id, "val/loss") == [(1, 0.25)]
    assert any(
        "'loss@mlflow' is not valid in MLflow; logged as 'loss_mlflow'" in r.getMessage() for r in tracking_log.records
    )


def test_full_queue_applies_back_pressure_and_loses_nothing(mlflow_server, in_tmp_dir):
    run_id = new_run(mlflow_server.url, unique("pressure"))
    tracker = MLflowTracker(java_owned(mlflow_server, run_id), max_queued=2000)
    longest = 0
    for step in range(8000):
        tracker.log_metric("loss", float(step), step=step)
        longest = max(longest, tracker.queued)
    tracker.close()
    assert longest <= 2000
    assert history(mlflow_server.url, run_id, "loss") == [(s, float(s)) for s in range(8000)]
    assert tracker.delivery_report().sent == 8000


def test_flush_delivers_before_returning(mlflow_server, in_tmp_dir):
    run_id = new_run(mlflow_server.url, unique("flush"))
    tracker = MLflowTracker(java_owned(mlflow_server, run_id), flush_interval_seconds=600)
    tracker.log_metrics({"a": 1.0, "b": 2.0}, step=3)
    tracker.flush()
    assert history(mlflow_server.url, run_id, "b") == [(3, 2.0)]
    tracker.close()


def test_artifact_is_uploaded_into_the_run(mlflow_server, in_tmp_dir):
    run_id = new_run(mlflow_server.url, unique("artifact"))
    tracker = MLflowTracker(java_owned(mlflow_server, run_id))
    (in_tmp_dir / "report.txt").write_text("accuracy 0.9")
    tracker.log_artifact(in_tmp_dir / "report.txt", artifact_path="reports")
    tracker.close()
    client = mlflow.MlflowClient(mlflow_server.url)
    assert [a.path for a in client.list_artifacts(run_id, "reports")] == ["reports/report.txt"]


def test_local_sqlite_store_without_a_server(in_tmp_dir):
    uri = f"sqlite:///{in_tmp_dir / 'local.db'}"
    args = argparse.Namespace(tracking_backends="mlflow", mlflow_tracking_uri=uri, mlflow_experiment_name="local")
    with MultiBackendTracker(args) as tracker:
        for step in range(50):
            tracker.log_metric("loss", step / 10, step=step)
        tracker.log_metric("inf", math.inf)
    run = only_run(uri, "local")
    assert run.info.status == "FINISHED"
    assert history(uri, run.info.run_id, "loss") == [(s, s / 10) for s in range(50)]
    assert history(uri, run.info.run_id, "inf") == [(0, MAX_DOUBLE)]


def test_rejected_request_is_dropped_and_reported_without_retries_or_spool(mlflow_server, in_tmp_dir, tracking_log):
    tracker = MLflowTracker(MLflowOptions(mlflow_tracking_uri=mlflow_server.url, mlflow_run_id="0" * 32))
    tracker.log_metric("loss", 0.5, step=1)
    tracker.close()
    report = tracker.delivery_report()
    assert (report.sent, report.retried, report.spooled, report.dropped) == (0, 0, 0, 1)
    assert any("HTTP 404" in r.getMessage() and "dropped" in r.getMessage() for r in tracking_log.records)
    assert not (in_tmp_dir / "mlflow-spool").exists()


def test_a_batch_the_store_rejects_is_split_until_only_the_offending_item_is_dropped(
    mlflow_server, in_tmp_dir, tracking_log, capsys
):
    run_id = new_run(mlflow_server.url, unique("bisect"))
    args = argparse.Namespace(tracking_backends="MLFLOW", mlflow_tracking_uri=mlflow_server.url, mlflow_run_id=run_id)
    tracker = MultiBackendTracker(args)
    [(_, backend)] = tracker.backends
    for step in range(300):
        tracker.log_metric("loss", float(step), step=step)
        if step == 123:
            # A store stricter than the checks at the call: the engine gets a key MLflow rejects.
            backend.write_metric("bad@key", 1.0, 1_700_000_000_000, step)
    tracker.close()
    assert history(mlflow_server.url, run_id, "loss") == [(s, float(s)) for s in range(300)]
    report = backend.delivery_report()
    assert (report.sent, report.spooled, report.dropped) == (300, 0, 1)
    rejections = [r.getMessage() for r in tracking_log.records if "rejected" in r.getMessage()]
    assert len(rejections) == 1 and "metric 'bad@key' = 1.0 at step 123" in rejections[0]
    assert "MLFLOW: sent 300, retried 0, spooled 0, dropped 1" in capsys.readouterr().err


def test_standalone_artifact_goes_through_the_servers_proxy_and_the_run_finishes(
    mlflow_server, in_tmp_dir, tracking_log
):
    experiment = unique("artifacts")
    client = mlflow.MlflowClient(mlflow_server.url)
    experiment_id = client.create_experiment(experiment)
    assert client.get_experiment(experiment_id).artifact_location.startswith("mlflow-artifacts:")
    tracker = MLflowTracker(
        MLflowOptions(mlflow_tracking_uri=mlflow_server.url, mlflow_experiment_name=experiment),
        flush_interval_seconds=600,
    )
    (in_tmp_dir / "report.txt").write_text("accuracy 0.9")
    (in_tmp_dir / "plots").mkdir()
    (in_tmp_dir / "plots" / "loss.csv").write_text("1,0.5")
    vanishing = in_tmp_dir / "vanishing.txt"
    vanishing.write_text("deleted before the upload")
    tracker.log_metric("loss", 0.5, step=0)
    tracker.log_artifact(in_tmp_dir / "report.txt")
    tracker.log_artifact(vanishing)
    vanishing.unlink()  # a permanent failure of one item, not an outage
    tracker.log_artifact(in_tmp_dir / "plots", artifact_path="figures")
    tracker.log_metric("loss", 0.25, step=1)
    tracker.close()
    report = tracker.delivery_report()
    assert (report.sent, report.spooled, report.dropped) == (4, 0, 1)
    run = client.get_run(tracker.run_id)
    assert run.info.status == "FINISHED"
    assert history(mlflow_server.url, tracker.run_id, "loss") == [(0, 0.5), (1, 0.25)]
    assert sorted(a.path for a in client.list_artifacts(tracker.run_id)) == ["figures", "report.txt"]
    assert [a.path for a in client.list_artifacts(tracker.run_id, "figures")] == ["figures/loss.csv"]
    assert any("vanishing.txt no longer exists" in r.getMessage() for r in tracking_log.records)
    assert not (in_tmp_dir / "mlflow-spool").exists()


@pytest.mark.parametrize("interval", ["0", "0.5"])
def test_system_metrics_are_logged_into_the_run_only_when_switched_on(mlflow_server, in_tmp_dir, interval):
    experiment = unique("system-metrics")
    options = MLflowOptions(
        mlflow_tracking_uri=mlflow_server.url,
        mlflow_experiment_name=experiment,
        mlflow_system_metrics_interval=interval,
    )
    tracker = MLflowTracker(options)
    tracker.write_metrics({"loss": 0.5}, timestamp=1_700_000_000_000, step=1)
    tracker.flush()
    deadline = time.monotonic() + 60
    client = mlflow.MlflowClient(mlflow_server.url)
    while interval != "0" and time.monotonic() < deadline:
        if len(client.get_metric_history(tracker.run_id, "system/cpu_utilization_percentage")) >= 2:
            break
        time.sleep(0.2)
    tracker.close()
    metrics = only_run(mlflow_server.url, experiment).data.metrics
    system = {key for key in metrics if key.startswith("system/")}
    if interval != "0":
        assert {"system/cpu_utilization_percentage", "system/system_memory_usage_megabytes"} <= system, system
        assert 0 <= metrics["system/cpu_utilization_percentage"] <= 100 * os.cpu_count()
        assert metrics["system/system_memory_usage_megabytes"] > 0
    else:
        assert system == set(), "off by default"
    assert metrics["loss"] == 0.5


def test_a_system_metrics_interval_that_is_no_number_is_refused(in_tmp_dir):
    from mlpipelines.tracking import TrackingError

    with pytest.raises(TrackingError, match=r"--mlflow_system_metrics_interval='often' is not a number of seconds"):
        MLflowTracker(MLflowOptions(mlflow_tracking_uri="sqlite:///x.db", mlflow_system_metrics_interval="often"))


@pytest.mark.parametrize(
    "uri", ["http://alice:s3cret@127.0.0.1:5000", "HTTPS://alice:s3cret@mlflow.example", "http://s3cret@host/"]
)
def test_credentials_in_the_server_url_are_refused_without_quoting_them(in_tmp_dir, uri):
    args = argparse.Namespace(tracking_backends="CSV,MLFLOW", mlflow_tracking_uri=uri, csv_dir="csv")
    with pytest.raises(TrackingError) as refused:
        MultiBackendTracker(args)
    assert str(refused.value) == (
        "--mlflow_tracking_uri holds credentials (USER:PASSWORD@); remove them and set "
        "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, or MLFLOW_TRACKING_TOKEN, in the environment"
    )
    assert "s3cret" not in str(refused.value)
    assert os.listdir(".") == [], "nothing is written"
