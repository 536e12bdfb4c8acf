"""Benchmark: what the first ``log_metric`` costs the training thread, and a logging script's peak memory.

Each row runs a fresh interpreter (``python -c SCRIPT``) that imports ``mlpipelines.tracking``,
builds a ``MultiBackendTracker`` for one set of backends, logs N metrics (10 keys) and closes.
Rows with ``start()`` call ``tracker.start()`` first (what entering the ``with`` block does; a
runtime without it skips the call). It reports the import time, the first ``log_metric`` call's wall time, the median and p99.9 of
the later calls, whether mlflow was imported in the process at all, and its peak RSS
(``VmHWM``; ``ru_maxrss`` would carry the parent's peak over ``exec``). MLFLOW rows log into an own run on an MLflow server started here (SQLite
store) unless ``--tracking-uri`` is given.

``--runtime DIR`` measures another checkout's runtime (its ``python/`` directory) with the
same script, e.g. ``--runtime /work/main/python`` for the figures before a change.

Usage::

    PYTHONPATH=python python bench/bench_first_call.py [-n 20000] [--repeat 3] [--runtime DIR]
"""

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY / "tests"))

from mlflow_server import MlflowServer  # noqa: E402

SCRIPT = r"""
import json, resource, sys, time
started = time.perf_counter()
from mlpipelines.tracking import MultiBackendTracker
imported = time.perf_counter() - started
import argparse, contextlib, os
uri, backends, work, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
args = argparse.Namespace(
    tracking_backends=backends, mlflow_tracking_uri=uri, mlflow_experiment_name="bench-first-call",
    mlflow_spool_dir=work + "/spool", csv_dir=work + "/csv", tensorboard_log_dir=work + "/tb",
    tracking_journal=(work + "/metrics.journal") if os.environ.get("BENCH_JOURNAL") else None)
keys = [f"metric_{i}" for i in range(10)]
with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
    tracker = MultiBackendTracker(args)
    if os.environ.get("BENCH_START") and hasattr(tracker, "start"):
        tracker.start()  # what entering the with block does, before training
    clock = time.perf_counter
    start = clock()
    tracker.log_metric("metric_0", 0.5, step=0)
    first = clock() - start
    times = []
    for i in range(1, n):
        start = clock()
        tracker.log_metric(keys[i % 10], i * 0.001, step=i // 10)
        times.append(clock() - start)
    tracker.close()
times.sort()
print(json.dumps({
    "import_ms": imported * 1e3, "first_ms": first * 1e3,
    "median_us": times[len(times) // 2] * 1e6, "p999_us": times[int(len(times) * 0.999)] * 1e6,
    "rss_mib": int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024, "mlflow": "mlflow" in sys.modules,
}))
"""

# (backends, journal on, start() before the first call)
ROWS = [
    ("STDOUT,CSV", False, False),
    ("MLFLOW", False, False),
    ("MLFLOW", False, True),
    ("MLFLOW,CSV,STDOUT,TENSORBOARD", False, False),
    ("MLFLOW,CSV,STDOUT,TENSORBOARD", True, False),
    ("MLFLOW,CSV,STDOUT,TENSORBOARD", True, True),
]


def run_row(runtime, uri, backends, journal, start, n, work):
    env = {key: value for key, value in os.environ.items() if key not in ("BENCH_JOURNAL", "BENCH_START")}
    env["PYTHONPATH"] = str(runtime)
    if journal:
        env["BENCH_JOURNAL"] = "1"
    if start:
        env["BENCH_START"] = "1"
    finished = subprocess.run(
        [sys.executable, "-c", SCRIPT, uri, backends, str(work), str(n)],
        capture_output=True, text=True, env=env, timeout=600, check=False,
    )
    if finished.returncode != 0:
        raise RuntimeError(f"{backends}: exit {finished.returncode}: {finished.stderr[-2000:]}")
    return json.loads(finished.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=20000, help="metrics per row (default 20000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per row; the median is shown (default 3)")
    parser.add_argument("--tracking-uri", help="an existing MLflow server (default: start one)")
    parser.add_argument("--runtime", default=str(REPOSITORY / "python"), help="the python/ directory to measure")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-first-call-") as work, contextlib.ExitStack() as stack:
        uri = options.tracking_uri or stack.enter_context(MlflowServer(Path(work) / "server")).url
        print(f"runtime {options.runtime}, N = {options.n}, median of {options.repeat} runs, server {uri}\n")
        print("| backends | journal | start() first | import ms | first log_metric ms | later median µs "
              "| later p99.9 µs | mlflow imported | peak RSS MiB |")
        print("|---|---|---|---:|---:|---:|---:|---|---:|")
        for backends, journal, start in ROWS:
            runs = [
                run_row(options.runtime, uri, backends, journal, start, options.n,
                        Path(work) / f"run-{backends}-{journal}-{start}-{i}")
                for i in range(options.repeat)
            ]

            def median(key, runs=runs):
                return statistics.median(run[key] for run in runs)

            print(f"| {backends} | {'on' if journal else 'off'} | {'yes' if start else 'no'} | {median('import_ms'):.0f} | "
                  f"{median('first_ms'):.2f} | {median('median_us'):.2f} | {median('p999_us'):.1f} | "
                  f"{'yes' if any(run['mlflow'] for run in runs) else 'no'} | {median('rss_mib'):.0f} |", flush=True)


if __name__ == "__main__":
    main()
