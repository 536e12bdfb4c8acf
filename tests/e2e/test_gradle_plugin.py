"""The generator inside a user's own Gradle build (Debian's Gradle 4.4.1), as MontiCore generators run.

A temporary Gradle project applies the installed script plugin (build/install/mlpipelines/gradle/
mlpipelines.gradle), declares a task of its type and one generate/train task pair per experiment file, and
runs them with `gradle --no-daemon` (no daemon is left running): scripts are generated, a training is
tracked into CSV, a generate task is up to date on the second build, and bad input fails the build.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "build" / "install" / "mlpipelines" / "gradle" / "mlpipelines.gradle"


def gradle(project: Path, *tasks: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MLPIPELINES_PYTHON": sys.executable}
    return subprocess.run(
        ["gradle", "--offline", "--no-daemon", "--console=plain", *tasks],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_a_user_build_generates_and_trains_experiments_as_gradle_tasks(launcher, tmp_path):
    assert PLUGIN.is_file(), f"{PLUGIN} is not installed (gradle installDist)"
    experiments = tmp_path / "experiments"
    experiments.mkdir()
    digits = yaml.safe_load((ROOT / "examples" / "digits.yaml").read_text(encoding="utf-8"))
    digits["training"]["epochs"] = 1
    (experiments / "digits.yaml").write_text(yaml.safe_dump(digits), encoding="utf-8")
    (experiments / "small-mlp.yaml").write_text(
        yaml.safe_dump({**digits, "name": "small", "model": {"type": "softmax_regression"}}), encoding="utf-8"
    )
    (tmp_path / "tracking.yaml").write_text("backends:\n  csv:\n    dir: runs/csv\n", encoding="utf-8")
    (tmp_path / "settings.gradle").write_text("rootProject.name = 'user-project'\n", encoding="utf-8")
    (tmp_path / "build.gradle").write_text(
        f"""apply from: '{PLUGIN}'

task checkTracking(type: MLPipelinesTask) {{
    command = 'check-config'
    tracking = file('tracking.yaml')
}}
task tooShort(type: MLPipelinesTask) {{
    experiment = file('experiments/digits.yaml')
    extraArgs = ['--set', 'training.epochs=0']
}}
mlpipelinesExperiments(fileTree('experiments') {{ include '*.yaml' }}, file('tracking.yaml'))
""",
        encoding="utf-8",
    )

    first = gradle(tmp_path, "checkTracking", "generateAll", "trainSmallMlp")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "CSV" in first.stdout, "check-config listed the enabled backend"
    assert (tmp_path / "build" / "mlpipelines" / "digits" / "digits" / "train.py").is_file()
    assert (tmp_path / "build" / "mlpipelines" / "small-mlp" / "small" / "train.py").is_file()
    with open(tmp_path / "runs" / "csv" / "run_1" / "metrics.csv", newline="", encoding="utf-8") as handle:
        assert list(csv.DictReader(handle)), "the training task tracked its metrics"
    assert "status:     FINISHED" in first.stdout

    again = gradle(tmp_path, "generateDigits")
    assert again.returncode == 0, again.stdout + again.stderr
    assert ":generateDigits UP-TO-DATE" in again.stdout.splitlines()

    bad = gradle(tmp_path, "tooShort")
    assert bad.returncode != 0
    assert "training.epochs" in bad.stderr + bad.stdout
    assert "Execution failed for task ':tooShort'" in bad.stderr
