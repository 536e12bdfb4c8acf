"""MLflow unreachable: retry, spool, replay exactly once (own server: this test stops it)."""

import json
import time

import mlflow
import pytest

from mlflow_server import MlflowServer, free_port
from mlpipelines.tracking import MLflowOptions, MLflowTracker, RetryPolicy
from mlpipelines.tracking.replay import main as replay
from tracking_helpers import history, new_run

FAST_RETRY = RetryPolicy(
    attempts=2, first_backoff_seconds=0.1, max_backoff_seconds=0.2, probe_seconds=0.5, timeout_seconds=5
)


def tracker_for(uri, spool_dir, **options):
    return MLflowTracker(
        MLflowOptions(mlflow_tracking_uri=uri, mlflow_spool_dir=str(spool_dir), **options),
        retry=FAST_RETRY,
        flush_interval_seconds=0.2,
    )


def test_server_stopped_mid_run_then_replay_delivers_every_metric_exactly_once(tmp_path, tracking_log, capsys):
    spool = tmp_path / "spool"
    server = MlflowServer(tmp_path / "server").start()
    try:
        uri = server.url
        java_run = new_run(uri, "outage-java")
        java_owned = tracker_for(uri, spool, mlflow_run_id=java_run)
        for step in range(50):
            java_owned.log_metric("loss", float(step), step=step)
        java_owned.flush()

        server.stop()
        for step in range(50, 150):
            java_owned.log_metric("loss", float(step), step=step)
        java_owned.flush()
        python_owned = tracker_for(uri, spool, mlflow_experiment_name="outage-python")
        for step in range(30):
            python_owned.log_metrics({"acc": step / 30}, step=step)
        python_owned.log_params({"lr": "0.1"})
        python_owned.close("FINISHED")

        server.start()
        time.sleep(FAST_RETRY.probe_seconds + 0.2)
        for step in range(150, 200):
            java_owned.log_metric("loss", float(step), step=step)
        java_owned.close("FINISHED")

        report = java_owned.delivery_report()
        assert (report.sent, report.spooled, report.dropped) == (100, 100, 0)
        assert report.retried >= 1
        assert python_owned.delivery_report().spooled == 31 and python_owned.run_id is None
        assert any("failed" in r.getMessage() and "spooling to" in r.getMessage() for r in tracking_log.records)
        assert history(uri, java_run, "loss") == [(s, float(s)) for s in range(50)] + [
            (s, float(s)) for s in range(150, 200)
        ]

        capsys.readouterr()
        assert replay([str(spool)]) == 0
        first = capsys.readouterr().out
        assert history(uri, java_run, "loss") == [(s, float(s)) for s in range(200)]
        client = mlflow.MlflowClient(uri)
        experiment = client.get_experiment_by_name("outage-python")
        runs = client.search_runs([experiment.experiment_id])
        assert len(runs) == 1 and runs[0].info.status == "FINISHED"
        assert runs[0].data.params == {"lr": "0.1"}
        assert history(uri, runs[0].info.run_id, "acc") == [(s, s / 30) for s in range(30)]
        assert client.get_run(java_run).info.status == "RUNNING"  # the Java side ends it
        assert f"delivered 1 entries into run {java_run} (0 already delivered before)" in first
        assert f"delivered 3 entries into run {runs[0].info.run_id}" in first

        assert replay([str(spool)]) == 0
        second = capsys.readouterr().out
        assert f"delivered 0 entries into run {java_run} (1 already delivered before)" in second
        assert f"delivered 0 entries into run {runs[0].info.run_id} (3 already" in second
        assert history(uri, java_run, "loss") == [(s, float(s)) for s in range(200)]
        assert len(client.search_runs([experiment.experiment_id])) == 1
        assert len(history(uri, runs[0].info.run_id, "acc")) == 30
    finally:
        server.stop()


def test_replay_while_the_server_is_still_down_exits_1_and_marks_nothing(tmp_path, capsys):
    spool = tmp_path / "spool"
    uri = f"http://127.0.0.1:{free_port()}"
    tracker = tracker_for(uri, spool, mlflow_run_id="0123456789abcdef")
    tracker.log_metrics({"loss": 0.5, "acc": 0.25}, step=1)
    tracker.close()
    assert tracker.delivery_report().spooled == 2
    note = tracker.delivery_report().note
    assert "deliver it with: python -m mlpipelines.tracking.replay" in note
    [spool_file] = spool.glob("*.jsonl")
    lines = [json.loads(line) for line in spool_file.read_text().splitlines()]
    assert lines[0]["run_id"] == "0123456789abcdef" and lines[0]["tracking_uri"] == uri
    assert lines[1]["metrics"] == [
        ["loss", 0.5, lines[1]["metrics"][0][2], 1],
        ["acc", 0.25, lines[1]["metrics"][0][2], 1],
    ]
    assert replay([str(spool)]) == 1
    assert "failed" in capsys.readouterr().err
    assert not spool_file.with_name(spool_file.name + ".progress").exists()


def test_replay_bad_input_exits_2_naming_the_problem(tmp_path, capsys):
    assert replay([str(tmp_path / "missing")]) == 2
    assert "missing: no such spool file or directory" in capsys.readouterr().err
    assert replay([str(tmp_path)]) == 2
    assert "no spool files" in capsys.readouterr().err
    (tmp_path / "broken.jsonl").write_text('{"spool": "mlpipelines-spool/1"}\n{"seq": 1, \n')
    assert replay([str(tmp_path)]) == 2
    assert "broken.jsonl:2: not a JSON line" in capsys.readouterr().err
    (tmp_path / "broken.jsonl").write_text('{"something": "else"}\n')
    assert replay([str(tmp_path)]) == 2
    assert "broken.jsonl:1: not an mlpipelines spool file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        replay([])
    assert exit_info.value.code == 2
