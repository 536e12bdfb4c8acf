"""``run`` works from any working directory through both front doors, with no hint where Python is.

No ``MLPIPELINES_PYTHON``, no ``.venv`` in the working directory, and the virtualenv's ``bin`` taken off
the PATH, so ``python3`` from the PATH has neither numpy nor this package: the console script hands Java
its own interpreter, and the Java launcher finds ``.venv`` beside its installation.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONSOLE_SCRIPT = Path(sys.executable).parent / "mlpipelines"


def bare_environment() -> dict[str, str]:
    venv_bin = Path(sys.executable).parent.resolve()
    path = os.pathsep.join(entry for entry in os.environ["PATH"].split(os.pathsep) if Path(entry).resolve() != venv_bin)
    environment = {key: value for key, value in os.environ.items() if key not in ("MLPIPELINES_PYTHON", "VIRTUAL_ENV")}
    environment["PATH"] = path
    return environment


@pytest.mark.parametrize("door", ["java-launcher", "console-script"])
def test_run_trains_from_a_directory_outside_the_checkout(launcher, tmp_path, door):
    executable = launcher if door == "java-launcher" else CONSOLE_SCRIPT
    (tmp_path / "experiment.yaml").write_text(
        "name: anywhere\nmodel: {type: softmax_regression}\ndataset: digits\n"
        "training: {epochs: 1, batch_size: 256, learning_rate: 0.1, seed: 1}\n",
        encoding="utf-8",
    )
    (tmp_path / "tracking.yaml").write_text("backends:\n  csv:\n    dir: runs/csv\n", encoding="utf-8")
    result = subprocess.run(
        [str(executable), "run", "experiment.yaml", "--tracking", "tracking.yaml", "--out", "out"],
        cwd=tmp_path,
        env=bare_environment(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "status:     FINISHED" in result.stdout
    metrics = (tmp_path / "runs" / "csv" / "run_1" / "metrics.csv").read_text(encoding="utf-8")
    assert "val_accuracy" in metrics
