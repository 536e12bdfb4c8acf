"""Benchmark: what W&B, Comet and DVCLive cost the training thread, and how long they take to close.

For each backend alone (CSV as the reference), one MultiBackendTracker, offline, in a temporary
directory; N metrics (10 keys, one ``log_metric`` call each). Per row:

* µs per metric on the training thread: wall time of the logging loop / N, and the thread's CPU time;
* close: seconds from the end of the loop until ``close()`` returned (the vendor's thread imports its
  package, opens the run, logs everything and ends the run; W&B's service process is stopped);
* metrics/s including close.

Usage::

    PYTHONPATH=python python bench/bench_vendor_backends.py [-n 20000] [--rows CSV,WANDB,COMET,DVCLIVE]
"""

import argparse
import contextlib
import io
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))

from mlpipelines.tracking import MultiBackendTracker

KEYS = [f"metric_{i}" for i in range(10)]


def row(backend, n):
    """Log ``n`` metrics to ``backend`` alone in a fresh directory; return the measurements."""
    with tempfile.TemporaryDirectory() as directory:
        prefix = backend.lower()
        options = {"tracking_backends": backend, f"{prefix}_dir": directory, f"{prefix}_mode": "offline"}
        tracker = MultiBackendTracker(argparse.Namespace(**options))
        tracker.log_metric("warm_up", 0.0, step=0)  # starts the backend (and its thread) outside the measurement
        cpu_start = time.thread_time()
        start = time.perf_counter()
        for i in range(n):
            tracker.log_metric(KEYS[i % 10], i * 0.001, step=i // 10)
        loop_end = time.perf_counter()
        cpu = time.thread_time() - cpu_start
        with contextlib.redirect_stderr(io.StringIO()):
            tracker.close()
        end = time.perf_counter()
        report = tracker.delivery_reports()[backend]
        assert report.sent == n + 1 and report.dropped == 0, report
    return (loop_end - start) / n * 1e6, cpu / n * 1e6, end - loop_end, n / (end - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=20000, help="metrics per row (default 20000)")
    parser.add_argument("--rows", default="CSV,WANDB,COMET,DVCLIVE", help="backends, comma-separated")
    args = parser.parse_args()
    for variable in ("WANDB_API_KEY", "COMET_API_KEY", "DVC_STUDIO_TOKEN"):
        os.environ.pop(variable, None)
    # Inside a Git repository DVCLive makes it a DVC repository; the benchmark stays out of this one.
    os.chdir(tempfile.mkdtemp(prefix="bench-vendor-"))
    print(f"{'backend':10} {'µs/metric (wall)':>17} {'µs/metric (cpu)':>16} {'close s':>8} {'metrics/s':>10}")
    for backend in args.rows.split(","):
        wall, cpu, close, rate = row(backend, args.n)
        print(f"{backend:10} {wall:17.2f} {cpu:16.2f} {close:8.2f} {rate:10.0f}")


if __name__ == "__main__":
    main()
