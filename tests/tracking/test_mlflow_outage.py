"""MLflow unreachable: retry, spool, replay exactly once (own server: this test stops it)."""

import json
import sys
import time
import uuid
from pathlib import Path

import mlflow
import pytest

from mlflow_server import MlflowServer, free_port
from mlpipelines.tracking import MLflowOptions, MLflowTracker, RetryPolicy
from mlpipelines.tracking.replay import main as replay
from switchable_proxy import SwitchableProxy
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


def progress_of(spool_dir):
    """{spool file name: [progress records]} of every spool file under ``spool_dir``."""
    return {
        path.name: [json.loads(line) for line in path.with_name(path.name + ".progress").read_text().splitlines()]
        for path in spool_dir.glob("*.jsonl")
        if path.with_name(path.name + ".progress").exists()
    }


def wait_for(condition, seconds):
    """Poll ``condition`` until it is true or ``seconds`` passed; return the elapsed time or None."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if condition():
            return time.monotonic() - start
        time.sleep(0.05)
    return None


def test_a_503_window_is_delivered_automatically_in_order_exactly_once(mlflow_server, tmp_path, tracking_log, capsys):
    spool = tmp_path / "spool"
    with SwitchableProxy(mlflow_server.url) as proxy:
        run_id = new_run(mlflow_server.url, "outage-503")
        tracker = MLflowTracker(
            MLflowOptions(mlflow_tracking_uri=proxy.url, mlflow_run_id=run_id, mlflow_spool_dir=str(spool)),
            retry=RetryPolicy(attempts=2, first_backoff_seconds=0.05, timeout_seconds=5),
            flush_interval_seconds=0.2,
        )
        for step in range(50):
            tracker.log_metric("loss", float(step), step=step)
        tracker.flush()
        proxy.failing = True
        for step in range(50, 150):
            tracker.log_metric("loss", float(step), step=step)
            if step % 25 == 24:
                tracker.flush()  # several batches, so the spool holds several entries
        tracker.log_params({"lr": "0.1"})
        tracker.flush()
        assert proxy.refused >= 2 and len(history(mlflow_server.url, run_id, "loss")) == 50
        assert tracker.delivery_report().spooled == 101

        proxy.failing = False
        # Nothing new is logged: the background thread probes and delivers the spool by itself.
        resumed = wait_for(lambda: len(history(mlflow_server.url, run_id, "loss")) == 150, 10)
        assert resumed is not None and resumed < 3.0, resumed
        for step in range(150, 200):
            tracker.log_metric("loss", float(step), step=step)
        tracker.close()

    report = tracker.delivery_report()
    assert (report.sent, report.spooled, report.dropped) == (201, 0, 0)
    assert history(mlflow_server.url, run_id, "loss") == [(s, float(s)) for s in range(200)]
    assert mlflow.MlflowClient(mlflow_server.url).get_run(run_id).data.params == {"lr": "0.1"}
    assert any("answers again" in r.getMessage() for r in tracking_log.records)
    [records] = progress_of(spool).values()
    [spool_file] = spool.glob("*.jsonl")
    entries = [json.loads(line) for line in spool_file.read_text().splitlines()[1:]]
    assert [r["delivered"] for r in records] == [e["seq"] for e in entries]  # in order, each once
    capsys.readouterr()
    assert replay([str(spool)]) == 0
    assert f"delivered 0 entries into run {run_id} ({len(entries)} already delivered before" in capsys.readouterr().out
    assert len(history(mlflow_server.url, run_id, "loss")) == 200


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
        assert python_owned.delivery_report().spooled == 31 and python_owned.run_id is None
        assert java_owned.delivery_report().spooled == 100

        server.start()
        for step in range(150, 200):
            java_owned.log_metric("loss", float(step), step=step)
        java_owned.close("FINISHED")

        # The live tracker delivered its own spool once the server was back; the closed one left its spool.
        report = java_owned.delivery_report()
        assert (report.sent, report.spooled, report.dropped) == (200, 0, 0)
        assert report.retried >= 1
        assert any("failed" in r.getMessage() and "spooling to" in r.getMessage() for r in tracking_log.records)
        assert history(uri, java_run, "loss") == [(s, float(s)) for s in range(200)]

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
        # The background sender may have cut the outage's metrics into more than one batch.
        [java_spool] = spool.glob(f"{java_run}-*.jsonl")
        java_entries = len(java_spool.read_text().splitlines()) - 1  # the first line is the header
        assert java_entries >= 1
        assert f"delivered 0 entries into run {java_run} ({java_entries} already delivered before" in first
        assert f"delivered 3 entries into run {runs[0].info.run_id}" in first

        assert replay([str(spool)]) == 0
        second = capsys.readouterr().out
        assert f"delivered 0 entries into run {runs[0].info.run_id} (3 already" in second
        assert len(client.search_runs([experiment.experiment_id])) == 1
        assert len(history(uri, runs[0].info.run_id, "acc")) == 30
    finally:
        server.stop()


def test_replayed_standalone_run_keeps_start_time_name_and_skips_a_rejected_entry(mlflow_server, tmp_path, capsys):
    spool = tmp_path / "spool"
    artifact = tmp_path / "notes.txt"
    artifact.write_text("gone before replay")
    experiment = f"replayed-{uuid.uuid4().hex[:8]}"
    tracker = tracker_for(f"http://127.0.0.1:{free_port()}", spool, mlflow_experiment_name=experiment)
    before = int(time.time() * 1000)
    tracker.log_metric("loss", 0.5, step=1)
    tracker.flush()
    tracker.log_artifact(artifact)
    tracker.flush()
    tracker.log_metric("loss", 0.25, step=2)
    tracker.close("FINISHED")
    [spool_file] = spool.glob("*.jsonl")
    header = json.loads(spool_file.read_text().splitlines()[0])
    assert before - 1000 <= header["start_time"] <= before + 1000 and header["run_name"]
    artifact.unlink()
    time.sleep(0.05)

    capsys.readouterr()
    assert replay([str(spool), "--tracking_uri", mlflow_server.url]) == 3
    out, err = capsys.readouterr()
    assert "entry 2 skipped: artifact" in err and "no longer exists" in err
    run = only_run(mlflow_server.url, experiment)
    assert f"delivered 3 entries into run {run.info.run_id} (0 already delivered before, 1 skipped as rejected" in out
    assert history(mlflow_server.url, run.info.run_id, "loss") == [(1, 0.5), (2, 0.25)]
    assert run.info.status == "FINISHED" and run.info.run_name == header["run_name"]
    assert run.info.start_time == header["start_time"] < run.info.end_time < int(time.time() * 1000)
    ends = [json.loads(line) for line in spool_file.read_text().splitlines() if "end_run" in line]
    assert run.info.end_time == ends[0]["end_time"]

    assert replay([str(spool), "--tracking_uri", mlflow_server.url]) == 3  # still says something is missing
    out, err = capsys.readouterr()
    assert "delivered 0 entries" in out and "3 already delivered before, 1 skipped as rejected" in out and err == ""
    assert len(history(mlflow_server.url, run.info.run_id, "loss")) == 2


def only_run(tracking_uri, experiment_name):
    client = mlflow.MlflowClient(tracking_uri)
    runs = client.search_runs([client.get_experiment_by_name(experiment_name).experiment_id])
    assert len(runs) == 1
    return runs[0]


def test_replay_while_the_server_is_still_down_exits_1_and_marks_nothing(tmp_path, capsys):
    spool = tmp_path / "spool"
    uri = f"http://127.0.0.1:{free_port()}"
    tracker = tracker_for(uri, spool, mlflow_run_id="0123456789abcdef")
    tracker.log_metrics({"loss": 0.5, "acc": 0.25}, step=1)
    tracker.close()
    assert tracker.delivery_report().spooled == 2
    note = tracker.delivery_report().note
    # The command works from any directory: this environment's console script, not a `python` from the PATH.
    assert f"deliver it with: {Path(sys.executable).parent / 'mlpipelines'} replay {spool}" in note
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
