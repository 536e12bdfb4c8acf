"""Wall time of `mlpipelines sweep` for the same 4 trials with --parallel 1 and --parallel 2.

    .venv/bin/python bench/bench_sweep.py [--runs 1] [--experiment examples/digits-sweep.yaml] [--mlflow]

Runs the Java launcher (build/install/mlpipelines/bin/mlpipelines) on the example's grid of 4 trials in
a temporary directory, tracking to STDOUT and CSV (with --mlflow also to a local SQLite MLflow store,
whose server starts once per sweep), alternately with --parallel 1 and 2; prints the median, minimum
and maximum whole-process wall time per setting and the time the trials took (the summary's "time:"
line: first trial start to last trial end, without the parent run's set-up such as a local MLflow
server's start-up). Two cores give --parallel 2 at most a factor 2; other load on the machine shows up here.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
LAUNCHER = ROOT / "build" / "install" / "mlpipelines" / "bin" / "mlpipelines"


def sweep_once(experiment: Path, parallel: int, mlflow: bool) -> tuple[float, float]:
    """One sweep in a fresh directory; returns (process wall seconds, the trials' seconds)."""
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as directory:
        root = Path(directory)
        backends: dict[str, object] = {"stdout": {"experiment_name": "bench"}, "csv": {"dir": str(root / "csv")}}
        if mlflow:
            backends["mlflow"] = {"experiment_name": "bench", "tracking_uri": f"sqlite:///{root / 'mlflow.db'}"}
        tracking = root / "tracking.yaml"
        tracking.write_text(yaml.safe_dump({"backends": backends}), encoding="utf-8")
        env = dict(os.environ, MLPIPELINES_PYTHON=sys.executable)
        command = [str(LAUNCHER), "sweep", str(experiment), "--tracking", str(tracking), "--out", str(root / "out")]
        command += ["--parallel", str(parallel)]
        start = time.perf_counter()
        result = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if result.returncode != 0:
            sys.exit(f"{' '.join(command)} exited with {result.returncode}:\n{result.stdout}\n{result.stderr}")
        match = re.search(r"^time: +[0-9.]+ s, of which ([0-9.]+) s for (\d+) trials", result.stdout, re.MULTILINE)
        if not match or match.group(2) != "4":
            sys.exit(f"expected a sweep of 4 trials:\n{result.stdout}")
        return wall, float(match.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--experiment", default=str(ROOT / "examples" / "digits-sweep.yaml"))
    parser.add_argument("--mlflow", action="store_true", help="also track to a local SQLite MLflow store")
    options = parser.parse_args()
    times: dict[int, list[tuple[float, float]]] = {1: [], 2: []}
    for _ in range(options.runs):
        for parallel in (1, 2):
            times[parallel].append(sweep_once(Path(options.experiment).resolve(), parallel, options.mlflow))
    print(
        f"4 trials of {options.experiment}, {options.runs} run(s) each, backends STDOUT, CSV"
        + (", MLFLOW (local SQLite)" if options.mlflow else "")
    )
    for parallel, samples in times.items():
        walls = [wall for wall, _ in samples]
        sweeps = [sweep for _, sweep in samples]
        print(
            f"--parallel {parallel}: process {statistics.median(walls):.1f} s (min {min(walls):.1f}, "
            f"max {max(walls):.1f}); trials {statistics.median(sweeps):.1f} s (min {min(sweeps):.1f}, "
            f"max {max(sweeps):.1f})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
