"""A built wheel carries the Java jars: installed into a fresh virtualenv, `mlpipelines run` works anywhere.

`make wheel` builds dist/mlpipelines_tracking-*.whl; it is installed with pip into a new virtualenv outside
the checkout (its dependencies made visible from the project's virtualenv through a .pth file, so that the
test downloads nothing; the package, its jars and its console script come from the wheel alone), and the
example runs from another directory with no MLPIPELINES_* variable set.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sysconfig
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Where the installed package and its jars are, and which Python the Java side runs scripts with.
PROBE = """
import mlpipelines.bridge as bridge
print(bridge.__file__)
print(bridge.java_class("de.monticore.mlpipelines.pipeline.PythonEnvironment").interpreter())
print(*bridge.classpath(), sep="\\n")
"""


def test_a_wheel_installed_outside_the_checkout_runs_the_example_from_any_directory(tmp_path):
    built = subprocess.run(["make", "wheel"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = sorted((ROOT / "dist").glob("mlpipelines_tracking-*.whl"))

    environment = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(environment)
    python = environment / "bin" / "python"
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--quiet", str(wheel)], capture_output=True, text=True
    )
    assert installed.returncode == 0, installed.stderr
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(site, "project-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")

    work = tmp_path / "elsewhere"
    work.mkdir()
    (work / "digits.yaml").write_text((ROOT / "examples" / "digits.yaml").read_text(encoding="utf-8"))
    (work / "tracking.yaml").write_text("backends:\n  stdout:\n  csv:\n    dir: runs/csv\n", encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("MLPIPELINES_", "MLFLOW_"))}
    env["PATH"] = f"{environment / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    where = subprocess.run(
        [str(python), "-c", PROBE],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    assert where.returncode == 0, where.stderr
    module, interpreter, *jars = where.stdout.splitlines()
    assert interpreter == str(python), "training scripts run with the new environment's Python"
    assert module.startswith(site), "the package comes from the wheel"
    assert jars and all(jar.startswith(f"{site}/mlpipelines/jars/") for jar in jars), jars
    assert any(Path(jar).name.startswith("mlpipelines-") for jar in jars)

    run = subprocess.run(
        [str(environment / "bin" / "mlpipelines"), "run", "digits.yaml", "--tracking", "tracking.yaml"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "status:     FINISHED" in run.stdout
    with open(work / "runs" / "csv" / "run_1" / "metrics.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows, "the generated script logged metrics"
