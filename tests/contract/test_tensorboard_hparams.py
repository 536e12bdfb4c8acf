"""TensorBoard's HParams dashboard shows each run's params and final metrics, from either half.

The Java half (a Java-owned run, the Python half writing its metrics into the same run directory) and
the Python half on its own write the same params; a real TensorBoard serves the log directory and its
HParams plugin, asked over HTTP as the dashboard asks, must list both runs with the params typed alike
(numbers, booleans, text), the last value of each metric and the run's end. Params and tags are one
Text entry each, under the same tag names in both halves.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from mlpipelines import bridge
from mlpipelines.tracking import TensorBoardOptions, TensorBoardTracker
from mlpipelines.tracking.tensorboard import hparam_kind, markdown_table

PARAMS = {"learning_rate": "0.1", "epochs": "3", "shuffle": "True", "hidden_sizes": "64,32", "decay": "1e-4"}
TYPED = {"learning_rate": 0.1, "epochs": 3.0, "shuffle": True, "hidden_sizes": "64,32", "decay": 1e-4}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def post(url: str, body: dict) -> dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.loads(answer.read())


@pytest.fixture
def tensorboard(tmp_path):
    """A factory: a real TensorBoard over a log directory on 127.0.0.1, stopped by its pid at the end."""
    started: list[subprocess.Popen] = []

    def serve(log_dir: Path) -> str:
        port = free_port()
        command = [sys.executable, "-m", "tensorboard.main", "--logdir", str(log_dir), "--host", "127.0.0.1"]
        process = subprocess.Popen(
            [*command, "--port", str(port), "--reload_interval", "1"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        started.append(process)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/data/runs", timeout=5) as answer:
                    if len(json.loads(answer.read())) >= 2:
                        return url
            except OSError:
                pass
            time.sleep(0.5)
        pytest.fail(f"TensorBoard at {url} did not list both runs within 120 s")

    yield serve
    for process in started:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


def java_run(java, log_dir: Path) -> str:
    """A Java-owned run: Java logs params and tags, Python writes metrics into it, Java ends it FINISHED."""
    config_class = bridge.java_class("de.monticore.mlpipelines.tracking.backend.tensorboard.TensorBoardConfig")
    tracker_class = bridge.java_class("de.monticore.mlpipelines.tracking.backend.tensorboard.TensorBoardTracker")
    tracker = tracker_class(config_class(java.Path.of(str(log_dir), [])))
    tracker.startNewRun()
    run_name = str(tracker.getPythonParams().get("tensorboard_run_name"))
    tracker.logParams(java.TreeMap(PARAMS))
    tracker.logTags(java.TreeMap({"team": "vision", "experiment": "digits"}))
    python = TensorBoardTracker(TensorBoardOptions(tensorboard_log_dir=str(log_dir), tensorboard_run_name=run_name))
    for step, accuracy in enumerate([0.5, 0.75, 0.9], start=1):
        python.log_metrics({"val_accuracy": accuracy}, step=step)
    python.close()
    tracker.endRun(java.RunStatus.FINISHED)
    tracker.close()
    return run_name


def python_run(log_dir: Path) -> str:
    """A run of the Python half on its own: it logs params, tags and metrics, and ends FAILED."""
    tracker = TensorBoardTracker(TensorBoardOptions(tensorboard_log_dir=str(log_dir)))
    tracker.log_params(PARAMS)
    tracker.set_tags({"team": "vision"})
    for step, accuracy in enumerate([0.4, 0.6], start=1):
        tracker.log_metrics({"val_accuracy": accuracy}, step=step)
    tracker.close(status="FAILED")
    assert tracker.run_directory is not None
    return Path(tracker.run_directory).name


def test_both_halves_write_the_same_markdown_table(java):
    entries = {
        "lr": "0.1",
        "a|b": "x*y_z",
        "note": "first line\r\nsecond line\nthird",
        "html": "<b>#1</b> ~[link](target) `code` back\\slash",
        "plain": "Grüße, 64,32",
    }
    TensorBoardTracker = bridge.java_class("de.monticore.mlpipelines.tracking.backend.tensorboard.TensorBoardTracker")
    java_entries = java.TreeMap()
    for key, value in entries.items():
        java_entries.put(key, value)
    table = markdown_table(entries)
    assert str(TensorBoardTracker.markdownTable(java_entries)) == table
    assert "| a\\|b | x\\*y\\_z |\n" in table
    assert "| note | first line<br>second line<br>third |\n" in table


def test_both_halves_type_params_alike():
    for value, expected in {"0.1": 0.1, "-3": -3.0, ".5e3": 500.0, "TRUE": True, "false": False}.items():
        assert hparam_kind(value)[1] == expected, value
    for text in ["64,32", "nan", "inf", "1e", "relu", "[64]", ""]:
        assert hparam_kind(text) == ("string", text), text


def test_the_hparams_dashboard_lists_params_and_final_metrics_of_both_halves(java, tmp_path, tensorboard):
    log_dir = tmp_path / "tb"
    java_name = java_run(java, log_dir / "java")
    python_name = python_run(log_dir / "python")
    url = tensorboard(log_dir)
    java_session, python_session = f"java/{java_name}", f"python/{python_name}"

    experiment = post(f"{url}/data/plugin/hparams/experiment", {"experimentName": ""})
    assert {info["name"] for info in experiment["hparamInfos"]} == set(PARAMS)
    assert {info["name"]["tag"] for info in experiment["metricInfos"]} == {"val_accuracy"}

    groups = post(
        f"{url}/data/plugin/hparams/session_groups",
        {
            "experimentName": "",
            "allowedStatuses": ["STATUS_UNKNOWN", "STATUS_SUCCESS", "STATUS_FAILURE", "STATUS_RUNNING"],
            "colParams": [],
            "startIndex": 0,
            "sliceSize": 100,
        },
    )
    sessions = {session["name"]: session for group in groups["sessionGroups"] for session in group["sessions"]}
    assert set(sessions) == {java_session, python_session}
    by_group = {group["sessions"][0]["name"]: group for group in groups["sessionGroups"]}
    for name in sessions:
        assert by_group[name]["hparams"] == TYPED, name
    final = {
        name: {value["name"]["tag"]: value["value"] for value in session["metricValues"]}
        for name, session in sessions.items()
    }
    # Scalars are 32-bit floats in TensorBoard.
    assert final == {
        java_session: {"val_accuracy": pytest.approx(0.9)},
        python_session: {"val_accuracy": pytest.approx(0.6)},
    }
    assert sessions[java_session]["status"] == "STATUS_SUCCESS"
    assert sessions[python_session]["status"] == "STATUS_FAILURE"


def test_params_and_tags_are_one_text_entry_each_under_the_same_tags_in_both_halves(java, tmp_path):
    from tensorboard.backend.event_processing import event_accumulator

    log_dir = tmp_path / "tb"
    runs = {"java": log_dir / "java" / java_run(java, log_dir / "java")}
    runs["python"] = log_dir / "python" / python_run(log_dir / "python")
    for half, run in runs.items():
        accumulator = event_accumulator.EventAccumulator(str(run), size_guidance={event_accumulator.TENSORS: 0})
        accumulator.Reload()
        text_tags = sorted(
            tag
            for tag in accumulator.Tags()["tensors"]
            if accumulator.SummaryMetadata(tag).plugin_data.plugin_name == "text"
        )
        assert text_tags == ["params", "tags"], half
        for tag in text_tags:
            entries = accumulator.Tensors(tag)
            assert len(entries) == 1, (half, tag, entries)
        tags_table = accumulator.Tensors("tags")[0].tensor_proto.string_val[0].decode()
        assert "| team | vision |" in tags_table, half
