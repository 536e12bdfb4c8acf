"""Benchmark: what the metric journal (``--tracking_journal``) costs the training thread.

Without a store behind it, so that only the journal is measured: ``MetricJournal.append``
alone, and ``MultiBackendTracker.log_metric`` fanning out to a backend that does nothing,
with the journal off and on. Each figure is the training thread's CPU time per metric,
the best of ``--repeat`` runs of N metrics (ten keys, increasing steps). The goal is a
journal that adds at most 1 µs per metric. ``bench_logging.py`` has the same comparison
with real backends (rows "journal on").

Usage::

    PYTHONPATH=python python bench/bench_journal.py [-n 200000] [--repeat 5]
"""

import argparse
import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))

from mlpipelines.tracking import MultiBackendTracker  # noqa: E402
from mlpipelines.tracking.base import RunTracker  # noqa: E402
from mlpipelines.tracking.journal import MetricJournal  # noqa: E402
from mlpipelines.tracking.registry import register_tracker  # noqa: E402

KEYS = [f"metric_{i}" for i in range(10)]


class DiscardingTracker(RunTracker):
    """A backend that stores nothing: what remains is the fan-out (and the journal)."""

    def __init__(self, args):
        pass

    def write_metric(self, key, value, timestamp, step):
        pass

    def write_metrics(self, metrics, timestamp, step):
        pass


def cpu_per_metric(n, log):
    start = time.thread_time()
    for i in range(n):
        log(KEYS[i % 10], i * 0.001, i)
    return (time.thread_time() - start) / n * 1e6


def journal_alone(n, directory):
    journal = MetricJournal(str(directory / f"alone-{time.time_ns()}.journal"), ["DISCARD"])
    try:
        return cpu_per_metric(n, lambda key, value, step: journal.append(key, value, 1_700_000_000_000, step))
    finally:
        journal.close()


def fan_out(n, directory, journal):
    args = argparse.Namespace(
        tracking_backends="DISCARD",
        tracking_journal=str(directory / f"fan-out-{time.time_ns()}.journal") if journal else None,
    )
    tracker = MultiBackendTracker(args)
    tracker.log_metric("warm_up", 0.0)
    log_metric = tracker.log_metric
    try:
        return cpu_per_metric(n, lambda key, value, step: log_metric(key, value, step=step))
    finally:
        with open(os.devnull, "w") as devnull, contextlib.redirect_stderr(devnull):
            tracker.close()  # its closing message says nothing here


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=200_000, help="metrics per run (default 200000)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure; the best counts (default 5)")
    options = parser.parse_args(argv)
    register_tracker("DISCARD", DiscardingTracker)
    with tempfile.TemporaryDirectory(prefix="bench-journal-") as work:
        directory = Path(work)
        rows = [
            ("floor: the loop calling a no-op", lambda: cpu_per_metric(options.n, lambda key, value, step: None)),
            ("MetricJournal.append alone", lambda: journal_alone(options.n, directory)),
            ("log_metric, one discarding backend, journal off", lambda: fan_out(options.n, directory, False)),
            ("log_metric, one discarding backend, journal on", lambda: fan_out(options.n, directory, True)),
        ]
        results = [(name, min(measure() for _ in range(options.repeat))) for name, measure in rows]
    print(f"\nN = {options.n} metrics, best of {options.repeat}, Python {sys.version.split()[0]}\n")
    print("| row | training-thread CPU µs/metric |")
    print("|---|---:|")
    for name, figure in results:
        print(f"| {name} | {figure:.2f} |")
    added = results[3][1] - results[2][1]
    print(f"\njournal on the training thread: {added:+.2f} µs per metric (goal: at most 1 µs)")


if __name__ == "__main__":
    main()
