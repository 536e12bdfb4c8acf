"""End to end on a nearly full disk: `mlpipelines run` with the CSV and TensorBoard stores on a tiny tmpfs.

The decision this test pins: the training finished, so the run is FINISHED and the launcher exits 0;
what tracking could not write is not hidden — each backend reports the full disk once, the closing
message counts what was dropped (sent + dropped == what the training logged) and says DATA WAS LOST.
Everything ends in bounded time (the subprocess timeout), and what was written reads back.
"""

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tracking.tiny_disk import fill, tiny_tmpfs

ROOT = Path(__file__).resolve().parents[2]
LAUNCHER = ROOT / "build" / "install" / "mlpipelines" / "bin" / "mlpipelines"
CLOSING_LINE = re.compile(r"mlpipelines\.tracking: (\w+): sent (\d+), retried \d+, spooled \d+, dropped (\d+)")
PAGE = 4096


@pytest.fixture
def launcher():
    """The installed Java launcher; built with Gradle when it is missing."""
    if not LAUNCHER.exists():
        subprocess.run(["gradle", "--offline", "--quiet", "installDist"], cwd=ROOT, check=True, timeout=600)
    assert LAUNCHER.exists(), f"{LAUNCHER} was not built"
    return LAUNCHER


@pytest.fixture
def disk(tmp_path):
    """A 256 KiB tmpfs, unmounted after the test."""
    with tiny_tmpfs(tmp_path / "disk") as mount_point:
        yield mount_point


def test_a_pipeline_on_a_nearly_full_disk_finishes_reports_the_loss_and_counts_it(launcher, disk, tmp_path):
    tracking_file = tmp_path / "tracking.yaml"
    tracking_file.write_text(
        yaml.safe_dump(
            {
                "backends": {
                    "stdout": {"experiment_name": "digits"},
                    "csv": {"dir": str(disk / "csv")},
                    "tensorboard": {"log_dir": str(disk / "tb")},
                }
            }
        ),
        encoding="utf-8",
    )
    # Room for the files the launcher writes first (run.yaml, params, tags, a copy of the experiment),
    # not for the training's metrics.
    fill(disk, leave_bytes=6 * PAGE)
    env = {key: value for key, value in os.environ.items() if not key.startswith("MLFLOW_")}
    env["MLPIPELINES_PYTHON"] = sys.executable
    result = subprocess.run(
        [
            str(launcher),
            "run",
            str(ROOT / "examples" / "digits.yaml"),
            "--tracking",
            str(tracking_file),
            "--out",
            str(tmp_path / "out"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    summary = result.stdout[result.stdout.index("== summary") :]
    assert "status:     FINISHED" in summary, summary

    counts = {name: (int(sent), int(dropped)) for name, sent, dropped in CLOSING_LINE.findall(output)}
    assert set(counts) == {"STDOUT", "CSV", "TENSORBOARD"}, output
    logged = counts["STDOUT"][0]  # the console has no disk to fill: it shows every value logged
    assert logged > 0 and counts["STDOUT"][1] == 0
    for name in ("CSV", "TENSORBOARD"):
        sent, dropped = counts[name]
        assert dropped > 0 and sent + dropped == logged, (name, output)
        assert len(re.findall(rf"^{name}: writing to .* failed: no space left on device", output, re.M)) == 1, output
    assert output.count("DATA WAS LOST") == 2, output

    [csv_run] = (disk / "csv").iterdir()
    with open(csv_run / "metrics.csv", newline="", encoding="utf-8") as source:
        rows = list(csv.reader(source))
    assert rows[0] == ["step", "timestamp", "key", "value"] and all(len(row) == 4 for row in rows)
    assert len(rows) - 1 == counts["CSV"][0]
    # The Java half ends the run's record even without room for a second copy of run.yaml (in place).
    run = yaml.safe_load((csv_run / "run.yaml").read_text(encoding="utf-8"))
    assert run["status"] == "FINISHED", output
    assert run["end_time"] >= run["start_time"], run
    assert "endRun" not in output, output

    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    [tb_run] = (disk / "tb").iterdir()
    events = EventAccumulator(str(tb_run), size_guidance={"scalars": 0})
    events.Reload()
    assert sum(len(events.Scalars(tag)) for tag in events.Tags()["scalars"]) == counts["TENSORBOARD"][0]
