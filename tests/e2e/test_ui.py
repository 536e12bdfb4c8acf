"""`mlpipelines ui` and the warm local MLflow server, on both front doors.

A pipeline writes into a local SQLite store and a TensorBoard log directory; `mlpipelines ui` serves
both on 127.0.0.1; headless Chromium (Debian's `chromium`) renders MLflow's run page, which must show the
run's name, a param the Java half logged and a metric the Python half logged. Ctrl-C (SIGINT) stops
TensorBoard and the MLflow server. A server left warm for the next pipeline is reused by it and
stopped by `mlpipelines ui --stop`. Every server a test starts is stopped by its own pid at the end.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
FRONT_DOORS = {
    "java-launcher": ROOT / "build" / "install" / "mlpipelines" / "bin" / "mlpipelines",
    "console-script": Path(sys.executable).parent / "mlpipelines",
}
EXPERIMENT = "ui-e2e"
MODEL_TRAINING_VIEW = "workflowType=machine_learning"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


class Stores:
    """A directory with an experiment, a tracking.yaml (local SQLite store, TensorBoard) and an environment."""

    def __init__(self, root: Path, idle_timeout: int):
        self.root = root
        self.store = root / "mlflow.db"
        self.state_file = root / ".mlflow.db.mlflow-server.json"
        self.tracking = root / "tracking.yaml"
        self.tracking.write_text(
            yaml.safe_dump(
                {
                    "backends": {
                        "mlflow": {"experiment_name": EXPERIMENT, "tracking_uri": f"sqlite:///{self.store}"},
                        "csv": {"dir": str(root / "runs" / "csv")},
                        "tensorboard": {"log_dir": str(root / "runs" / "tb")},
                    }
                }
            ),
            encoding="utf-8",
        )
        (root / "experiment.yaml").write_text(
            yaml.safe_dump(
                {
                    "name": EXPERIMENT,
                    "model": {"type": "softmax_regression"},
                    "dataset": "digits",
                    "training": {"epochs": 1, "batch_size": 256, "learning_rate": 0.25, "seed": 3},
                }
            ),
            encoding="utf-8",
        )
        self.env = {key: value for key, value in os.environ.items() if not key.startswith("MLFLOW_")}
        self.env["MLPIPELINES_PYTHON"] = sys.executable
        self.env["MLPIPELINES_MLFLOW_SERVER_IDLE_TIMEOUT"] = str(idle_timeout)

    def run_pipeline(self, *options: str) -> str:
        result = subprocess.run(
            [str(FRONT_DOORS["java-launcher"]), "run", "experiment.yaml", "--tracking", "tracking.yaml", *options],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def server_pid(self) -> int | None:
        """The recorded server's pid, when a state file exists."""
        try:
            return int(json.loads(self.state_file.read_text(encoding="utf-8"))["pid"])
        except (OSError, ValueError, KeyError):
            return None

    def stop_leftovers(self) -> None:
        """Stops the recorded server by its pid (its keeper stops the server's process group on SIGTERM)."""
        pid = self.server_pid()
        if pid is not None and alive(pid):
            os.kill(pid, signal.SIGTERM)
            wait_until(lambda: not alive(pid), 30)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purpose.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (OSError, IndexError):
        return False


def processes_mentioning(text: str) -> list[int]:
    """Pids of live processes whose command line contains the text (read from /proc, nothing is killed)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text in cmdline.read_bytes().decode("utf-8", "replace") and alive(int(cmdline.parent.name)):
                found.append(int(cmdline.parent.name))
        except OSError:
            pass
    return found


def wait_until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def rendered_page(url: str, profile: Path) -> str:
    """The DOM of a page after its scripts ran, as headless Chromium renders it."""
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("Debian's chromium is not installed: run `make setup` (it installs it)")
    result = subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=30000", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """One pipeline's stores; its server stopped with it (idle timeout 0)."""
    stores = Stores(tmp_path_factory.mktemp("ui"), idle_timeout=0)
    try:
        summary = stores.run_pipeline("--json", "run.json")
        assert "ui:         mlpipelines ui tracking.yaml" in summary, summary
        assert not stores.state_file.exists() and processes_mentioning(str(stores.store)) == []
        yield stores
    finally:
        stores.stop_leftovers()


@pytest.mark.parametrize("door", sorted(FRONT_DOORS))
def test_ui_serves_the_run_page_and_tensorboard_and_ctrl_c_stops_both(finished_run, door, tmp_path):
    from mlflow.tracking import MlflowClient

    stores = finished_run
    ui = subprocess.Popen(
        [str(FRONT_DOORS[door]), "ui", "tracking.yaml"],
        cwd=stores.root,
        env=stores.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A shell may start background jobs with SIGINT ignored; the user's Ctrl-C is what is tested here.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        lines = []
        assert ui.stdout is not None
        while not any(line.startswith("Ctrl-C stops") for line in lines):
            line = ui.stdout.readline()
            assert line, f"ui ended early: {lines} {ui.stderr.read() if ui.stderr else ''}"
            lines.append(line.strip())
        mlflow_url = re.search(
            r"MLflow: +(http://127\.0\.0\.1:\d+)/#/experiments\?workflowType=machine_learning", lines[0]
        )
        board_url = re.search(r"TensorBoard: +(http://127\.0\.0\.1:\d+)/ +\(log dir (.+)\)", lines[1])
        assert mlflow_url and board_url, lines
        assert board_url.group(2) == str(stores.root / "runs" / "tb")
        server_pid = stores.server_pid()
        assert server_pid is not None and alive(server_pid)

        client = MlflowClient(mlflow_url.group(1))
        experiment = client.get_experiment_by_name(EXPERIMENT)
        assert experiment.tags["mlflow.experimentKind"] == "custom_model_development"
        (run,) = client.search_runs([experiment.experiment_id])
        page = rendered_page(
            f"{mlflow_url.group(1)}/#/experiments/{experiment.experiment_id}/runs/{run.info.run_id}"
            "?workflowType=machine_learning",
            tmp_path / "chromium",
        )
        assert run.info.run_name == "Run 1" and "Run 1" in page
        assert run.data.params["learning_rate"] == "0.25" and "learning_rate" in page, "a param the Java half logged"
        assert "val_accuracy" in run.data.metrics and "val_accuracy" in page, "a metric the Python half logged"

        with urllib.request.urlopen(f"{board_url.group(1)}/data/runs", timeout=30) as answer:
            assert json.loads(answer.read()) == ["run_1"]
        # /proc's command lines separate the arguments with NUL.
        board_pids = processes_mentioning(f"--port\0{board_url.group(1).rsplit(':', 1)[1]}\0")
        assert board_pids, "TensorBoard runs"

        ui.send_signal(signal.SIGINT)
        assert ui.wait(timeout=120) == 130
        assert wait_until(lambda: processes_mentioning(str(stores.store)) == [], 30), "the MLflow server stopped"
        assert not alive(server_pid)
        assert not stores.state_file.exists()
        assert wait_until(lambda: not any(alive(pid) for pid in board_pids), 30), "TensorBoard stopped"
    finally:
        if ui.poll() is None:
            ui.terminate()
            ui.wait(timeout=60)
        stores.stop_leftovers()


def test_a_warm_server_serves_the_next_pipeline_and_ui_stop_stops_it(tmp_path):
    stores = Stores(tmp_path, idle_timeout=600)
    try:
        first = stores.run_pipeline()
        server_pid = stores.server_pid()
        assert server_pid is not None and alive(server_pid), "the server stays up for the next pipeline"
        port = re.search(r"MLflow run: http://127\.0\.0\.1:(\d+)/", first).group(1)  # type: ignore[union-attr]

        second = stores.run_pipeline()
        assert stores.server_pid() == server_pid, "the next pipeline reused the warm server"
        assert f"MLflow run: http://127.0.0.1:{port}/" in second
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=30) as answer:
            assert answer.status == 200, "the printed URL still answers after the pipeline"

        for door in sorted(FRONT_DOORS):
            stop = subprocess.run(
                [str(FRONT_DOORS[door]), "ui", "tracking.yaml", "--stop"],
                cwd=tmp_path,
                env=stores.env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert stop.returncode == 0, stop.stdout + stop.stderr
            if door == "console-script":
                assert (
                    stop.stdout
                    == f"stopped the local MLflow server at http://127.0.0.1:{port} for sqlite:///{stores.store}\n"
                )
            else:
                assert stop.stdout == f"no local MLflow server runs for sqlite:///{stores.store}\n"
        assert not alive(server_pid) and processes_mentioning(str(stores.store)) == []
        assert not stores.state_file.exists()
    finally:
        stores.stop_leftovers()


def test_json_metadata_names_the_run_in_every_store(finished_run):
    from mlflow.tracking import MlflowClient

    stores = finished_run
    metadata = json.loads((stores.root / "run.json").read_text(encoding="utf-8"))
    local = MlflowClient(f"sqlite:///{stores.store}")
    experiment = local.get_experiment_by_name(EXPERIMENT)
    (run,) = local.search_runs([experiment.experiment_id])
    assert metadata["experiment"] == {"name": EXPERIMENT, "file": "experiment.yaml"}
    assert (metadata["status"], metadata["exit_code"], metadata["failure_reason"]) == ("FINISHED", 0, None)
    assert metadata["tracking_backends"] == ["CSV", "MLFLOW", "TENSORBOARD"], "in tracking.yaml's order"
    mlflow = metadata["stores"]["MLFLOW"]
    assert (mlflow["experiment_id"], mlflow["experiment_name"]) == (experiment.experiment_id, EXPERIMENT)
    assert (mlflow["run_id"], mlflow["run_name"], mlflow["status"]) == (run.info.run_id, "Run 1", "FINISHED")
    assert metadata["locations"]["MLflow run"] == (
        f"{mlflow['tracking_uri']}/#/experiments/{experiment.experiment_id}/runs/{run.info.run_id}"
    )
    csv_run = stores.root / "runs" / "csv" / metadata["stores"]["CSV"]["run_name"]
    assert metadata["stores"]["CSV"]["dir"] == str(stores.root / "runs" / "csv")
    assert metadata["locations"]["CSV"] == str(csv_run / "metrics.csv") and (csv_run / "metrics.csv").is_file()
    assert metadata["stores"]["TENSORBOARD"]["run_name"] == "run_1"
    assert metadata["ui_command"] == "mlpipelines ui tracking.yaml"
    timings = metadata["timings_seconds"]
    assert set(timings) == {"config", "generation", "run_setup", "training", "finishing", "total"}
    assert all(value >= 0 for value in timings.values())
    assert timings["total"] >= timings["training"] > 0
    assert metadata["script"].endswith("train.py") and Path(stores.root, metadata["script"]).is_file()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--json", "missing/run.json"], "--json missing/run.json: directory {root}/missing does not exist"),
        (["--json", "."], "--json .: is a directory; expected a file to write"),
        (["--json"], "--json needs a file to write the run's metadata to"),
        (["--json=a.json", "--json", "b.json"], "--json is given twice"),
    ],
)
def test_a_json_file_that_cannot_be_written_is_refused_before_anything_runs(tmp_path, options, message):
    stores = Stores(tmp_path, idle_timeout=0)
    result = subprocess.run(
        [str(FRONT_DOORS["java-launcher"]), "run", "experiment.yaml", "--tracking", "tracking.yaml", *options],
        cwd=tmp_path,
        env=stores.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == "mlpipelines run: " + message.format(root=tmp_path)
    assert not stores.store.exists() and not (tmp_path / "build").exists(), "nothing was started or written"


@pytest.mark.parametrize("door", sorted(FRONT_DOORS))
def test_report_draws_every_metric_of_the_mlflow_runs_into_one_self_contained_page(finished_run, door):
    from mlflow.tracking import MlflowClient

    stores = finished_run
    page_file = stores.root / f"report-{door}.html"
    result = subprocess.run(
        [str(FRONT_DOORS[door]), "report", "tracking.yaml", "--out", page_file.name],
        cwd=stores.root,
        env=stores.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    local = MlflowClient(f"sqlite:///{stores.store}")
    (run,) = local.search_runs([local.get_experiment_by_name(EXPERIMENT).experiment_id])
    keys = sorted(run.data.metrics)
    assert result.stdout == f"wrote {page_file.name}: {len(keys)} metric(s) of 1 run(s)\n"
    page = page_file.read_text(encoding="utf-8")
    assert page.count("<svg") == len(keys) and all(f"<h2>{key}</h2>" in page for key in keys)
    assert "<script" not in page and 'src="http' not in page and "<link" not in page, "self-contained"
    assert "<td>Run 1</td><td>FINISHED</td>" in page
    assert f"<td>{run.data.metrics['val_accuracy']:.6g}</td>" in page, "the last val_accuracy in the table"
    assert "<td>0.25</td>" in page, "the learning_rate param in the table"


def test_report_writes_one_png_per_metric_of_csv_runs_and_refuses_what_does_not_exist(finished_run, tmp_path):
    stores = finished_run
    command = [str(FRONT_DOORS["java-launcher"]), "report"]
    result = subprocess.run(
        [*command, "--csv", str(stores.root / "runs" / "csv"), "--png", str(tmp_path / "plots")],
        cwd=stores.root,
        env=stores.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    with open(stores.root / "runs" / "csv" / "run_1" / "metrics.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    keys = {row["key"] for row in rows} if "key" in rows[0] else set(rows[0]) - {"step", "timestamp"}
    pngs = sorted((tmp_path / "plots").iterdir())
    assert [png.name for png in pngs] == sorted(f"{key}.png" for key in keys)
    assert all(png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") for png in pngs)

    missing = subprocess.run(
        [*command, "tracking.yaml", "--experiment", "no such experiment"],
        cwd=stores.root,
        env=stores.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert missing.returncode == 2
    assert missing.stderr.startswith(
        f"mlpipelines report: sqlite:///{stores.store}: no experiment 'no such experiment'; it has: "
    ), missing.stderr
    assert EXPERIMENT in missing.stderr
