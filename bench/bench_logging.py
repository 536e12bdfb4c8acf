"""Benchmark: the cost of logging metrics to MLflow, ours against MLflow's own ways.

One invocation, one MLflow server (SQLite store, started here unless --tracking-uri
is given), the same N metrics for every row, each row in its own run of one
experiment. For every row it reports

* µs per metric on the training thread: wall time of the logging loop / N
  (what training waits for), and the CPU time the training thread itself spent;
* the CPU time of the whole process (all threads: delivery, encoding) per metric, loop and flush;
* metrics/s including the final flush: N / (loop + flush until the store has them).

Rows: a no-op loop (the floor), ``MlflowClient.log_metric`` per value, MLflow's
async logging (``synchronous=False``; we wait on the returned operations, because
``mlflow.flush_async_logging()`` flushes the global store, not the client's),
``MultiBackendTracker`` with MLFLOW, with MLFLOW+CSV+STDOUT (stdout to /dev/null),
with all four backends, MLFLOW and all four again with the metric journal on
(``--tracking_journal``; its cost is the difference to the row without), and a plain ``log_batch`` loop of 1000 (the ceiling through
MLflow's API).

Usage::

    PYTHONPATH=python python bench/bench_logging.py [-n 5000] [--repeat 1] [--tracking-uri URL] [--rows ours_four,...]
"""

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import mlflow
from mlflow.entities import Metric

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY / "tests"))
sys.path.insert(0, str(REPOSITORY / "python"))

from mlflow_server import MlflowServer  # noqa: E402
from mlpipelines.tracking import MultiBackendTracker  # noqa: E402

KEYS = [f"metric_{i}" for i in range(10)]


def values(n):
    """The (key, value, step) triples every row logs."""
    return [(KEYS[i % len(KEYS)], i * 0.001, i // len(KEYS)) for i in range(n)]


def measure(name, n, log_loop, finish=lambda: None):
    """Run ``log_loop`` then ``finish``; return a result row."""
    process_start = time.process_time()
    cpu_start = time.thread_time()
    start = time.perf_counter()
    log_loop()
    loop_end = time.perf_counter()
    cpu_loop = time.thread_time() - cpu_start
    finish()
    end = time.perf_counter()
    process_cpu = time.process_time() - process_start
    return {"name": name, "wall_us": (loop_end - start) / n * 1e6, "cpu_us": cpu_loop / n * 1e6,
            "process_us": process_cpu / n * 1e6, "rate": n / (end - start), "total_s": end - start}


def new_run(client, experiment_id, name):
    return client.create_run(experiment_id, run_name=name).info.run_id


def row_noop(n, data, **_):
    def noop(key, value, step):
        pass

    def loop():
        for key, value, step in data:
            noop(key, value, step)

    return measure("no-op loop (floor)", n, loop)


def row_log_metric(n, data, client, run_id, **_):
    def loop():
        for key, value, step in data:
            client.log_metric(run_id, key, value, step=step)

    return measure("MlflowClient.log_metric per value", n, loop)


def row_async(n, data, client, run_id, **_):
    operations = []

    def loop():
        for key, value, step in data:
            operations.append(client.log_metric(run_id, key, value, step=step, synchronous=False))

    def finish():
        for operation in operations:
            operation.wait()

    return measure("MLflow async (synchronous=False) + wait", n, loop, finish)


def row_log_batch(n, data, client, run_id, **_):
    timestamp = int(time.time() * 1000)
    metrics = [Metric(key, value, timestamp, step) for key, value, step in data]

    def loop():
        for start in range(0, len(metrics), 1000):
            client.log_batch(run_id, metrics=metrics[start:start + 1000])

    return measure("plain log_batch loop of 1000 (ceiling)", n, loop)


def row_ours(backends, label, journal=False):
    def row(n, data, uri, run_id, work_dir, **_):
        journal_path = str(work_dir / f"{run_id}.journal") if journal else None
        args = argparse.Namespace(tracking_backends=backends, mlflow_tracking_uri=uri,
                                  mlflow_run_id=run_id, mlflow_spool_dir=str(work_dir / "spool"),
                                  csv_dir=str(work_dir / "csv"), tensorboard_log_dir=str(work_dir / "tb"),
                                  tracking_journal=journal_path)
        tracker = MultiBackendTracker(args)
        with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull), \
                contextlib.redirect_stderr(devnull):
            tracker.log_metric("warm_up", 0.0)  # first use opens files, imports mlflow
            tracker.flush()

            def loop():
                log_metric = tracker.log_metric
                for key, value, step in data:
                    log_metric(key, value, step=step)

            return measure(label, n, loop, tracker.close)

    return row


ROWS = [
    ("noop", row_noop),
    ("log_metric", row_log_metric),
    ("async", row_async),
    ("ours_mlflow", row_ours("MLFLOW", "ours: MLFLOW")),
    ("ours_three", row_ours("MLFLOW,CSV,STDOUT", "ours: MLFLOW+CSV+STDOUT(/dev/null)")),
    ("ours_four", row_ours("MLFLOW,CSV,STDOUT,TENSORBOARD", "ours: all four backends")),
    ("ours_mlflow_journal", row_ours("MLFLOW", "ours: MLFLOW, journal on", journal=True)),
    ("ours_four_journal", row_ours("MLFLOW,CSV,STDOUT,TENSORBOARD", "ours: all four backends, journal on",
                                   journal=True)),
    ("log_batch", row_log_batch),
]


def median_result(row_runs):
    """One row's runs as one: the median of every figure; ``stored`` the fewest any run stored."""
    merged = dict(row_runs[0])
    for field in ("wall_us", "cpu_us", "process_us", "rate", "total_s"):
        merged[field] = statistics.median(run[field] for run in row_runs)
    if "stored" in merged:
        merged["stored"] = min(run["stored"] for run in row_runs)
    return merged


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=5000, help="metrics per row (default 5000)")
    parser.add_argument("--tracking-uri", help="an existing MLflow server (default: start one)")
    parser.add_argument("--rows", help=f"comma-separated rows to run (default: all): {','.join(n for n, _ in ROWS)}")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs per row, rows interleaved; each figure is the median of its runs (default 1)")
    options = parser.parse_args(argv)
    chosen = options.rows.split(",") if options.rows else [name for name, _ in ROWS]
    unknown = sorted(set(chosen) - {name for name, _ in ROWS})
    if unknown:
        parser.error(f"unknown rows {', '.join(unknown)}; expected some of {', '.join(n for n, _ in ROWS)}")
    with tempfile.TemporaryDirectory(prefix="bench-logging-") as work:
        work_dir = Path(work)
        with contextlib.ExitStack() as stack:
            uri = options.tracking_uri or stack.enter_context(MlflowServer(work_dir / "server")).url
            client = mlflow.MlflowClient(uri)
            experiment_id = client.create_experiment(f"bench-{int(time.time())}")
            data = values(options.n)
            runs = {name: [] for name, _ in ROWS if name in chosen}
            # Rows interleaved, so that a slow spell of a shared machine does not fall on one row only.
            for _ in range(options.repeat):
                for name, row in [(name, row) for name, row in ROWS if name in chosen]:
                    run_id = new_run(client, experiment_id, name)
                    result = row(n=options.n, data=data, client=client, uri=uri, run_id=run_id,
                                 work_dir=work_dir)
                    if name != "noop":
                        stored = sum(len(client.get_metric_history(run_id, key)) for key in KEYS)
                        result["stored"] = stored
                    runs[name].append(result)
                    print(f"  {result['name']}: {result['total_s']:.1f} s", file=sys.stderr)
            results = [median_result(row_runs) for row_runs in runs.values()]
    ceiling = next((r["rate"] for r in results if r["name"].startswith("plain log_batch")), None)
    print(f"\nN = {options.n} metrics per row, median of {options.repeat} run(s) per row, mlflow "
          f"{mlflow.__version__}, server {uri} (SQLite store), Python {sys.version.split()[0]}, "
          f"load average {' '.join(Path('/proc/loadavg').read_text().split()[:3])}\n")
    print("| row | µs/metric on training thread (wall) | training-thread CPU µs/metric "
          "| process CPU µs/metric (all threads, incl. flush) | metrics/s incl. final flush | % of log_batch loop "
          "| stored |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        # The floor delivers nothing, so a share of the ceiling means nothing for it.
        share = f"{100 * r['rate'] / ceiling:.0f} %" if "stored" in r and ceiling else "-"
        print(f"| {r['name']} | {r['wall_us']:.2f} | {r['cpu_us']:.2f} | {r['process_us']:.2f} | {r['rate']:,.0f} "
              f"| {share} | {r.get('stored', '-')} |")


if __name__ == "__main__":
    main()
