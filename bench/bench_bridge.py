"""Whole-process wall time of `mlpipelines check-config`: the Python console script (JPype, JVM in
process) versus the Java launcher (build/install/mlpipelines/bin/mlpipelines).

    .venv/bin/python bench/bench_bridge.py [--runs 5] [--config examples/tracking.yaml]

Each command runs once to warm the file cache, then --runs times alternately; prints the median,
minimum and maximum per command and the CPU time (user + sys) of the median run. Run from the
source root; the console script is the one next to the interpreter running this file.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Runs ``command`` once; returns (wall seconds, CPU seconds of the child). Fails on exit != 0."""
    before = os.times()
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    after = os.times()
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} exited with {result.returncode}: {result.stderr.decode()}")
    return wall, (after.children_user - before.children_user) + (after.children_system - before.children_system)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--config", default="examples/tracking.yaml")
    options = parser.parse_args()
    commands = {
        "console script (JPype)": [str(Path(sys.executable).parent / "mlpipelines"), "check-config", options.config],
        "Java launcher": [str(ROOT / "build/install/mlpipelines/bin/mlpipelines"), "check-config", options.config],
    }
    env = dict(os.environ)
    # The console script must import this tree's package, which finds this tree's build.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "python"), env.get("PYTHONPATH")]))
    samples = {name: [] for name in commands}
    for command in commands.values():
        timed(command, env)
    for _ in range(options.runs):
        for name, command in commands.items():
            samples[name].append(timed(command, env))
    print(f"check-config {options.config}, {options.runs} runs each, whole process:")
    for name, runs in samples.items():
        walls = sorted(wall for wall, _ in runs)
        median_wall = statistics.median(walls)
        median_cpu = sorted(runs)[len(runs) // 2][1]
        print(f"  {name:24s} median {median_wall * 1000:6.0f} ms  (min {walls[0] * 1000:.0f}, "
              f"max {walls[-1] * 1000:.0f}; CPU {median_cpu * 1000:.0f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
