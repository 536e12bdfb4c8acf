"""Benchmark: our tracker side by side with its peers, in one run against one MLflow server.

Peers (installed in a virtual environment of their own, never a dependency of the project):
Lightning's ``MLFlowLogger`` and ``CSVLogger``, Accelerate's ``MLflowTracker``, and MLflow's
async logging (``mlflow.log_metrics(..., synchronous=False)``). Ours runs in the project's
environment. Every row is a fresh interpreter that logs N metrics, 10 keys per step, each
peer through its own natural call (a dict per step), ours both per step (``log_metrics``) and
per value (``log_metric``). Per row:

* µs/metric on the training thread: wall time of the logging loop / N, and the thread's CPU time / N;
* metrics/s including the final flush (close/finish/flush until the store has them);
* the first logging call's wall time (run creation, imports, connections it triggers); ours call
  ``tracker.start()`` first, as entering its ``with`` block does, before the loop;
* peak RSS of the process (``VmHWM``; ``ru_maxrss`` would carry the parent's peak over ``exec``);
* for MLflow rows, the metrics the server holds afterwards (read back with ``MlflowClient``).

The peers' environment is created on first use (``--venv``, default ``build/peers-venv``) with
``pip install torch==2.13.0 lightning accelerate mlflow==<ours>``; an existing one is reused.

Usage::

    .venv/bin/python bench/bench_peers.py [-n 20000] [--csv-n 1000000] [--venv DIR] [--rows a,b]
"""

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import mlflow

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY / "tests"))

from mlflow_server import MlflowServer  # noqa: E402

# Each row's body: setup() returns log(step, metrics) and finish(); the harness around it measures.
HARNESS = r"""
import json, os, resource, sys, time
uri, work, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
keys = [f"metric_{i}" for i in range(10)]
steps = [{key: (step * 10 + i) * 0.001 for i, key in enumerate(keys)} for step in range(n // 10)]
run_id = None
BODY
log, finish = setup()
clock = time.perf_counter
start = clock()
log(0, steps[0])
first = clock() - start
cpu_start, start = time.thread_time(), clock()
for step in range(1, len(steps)):
    log(step, steps[step])
loop = clock() - start
cpu = time.thread_time() - cpu_start
finish()
total = clock() - start + first
print(json.dumps({"wall_us": loop / (n - 10) * 1e6, "cpu_us": cpu / (n - 10) * 1e6, "rate": n / total,
                  "first_ms": first * 1e3, "rss_mib": int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024,
                  "run_id": run_id}))
"""

ROWS = {
    "lightning_mlflow": ("peers", "Lightning MLFlowLogger (log_metrics per step)", "mlflow", r"""
def setup():
    from lightning.pytorch.loggers import MLFlowLogger
    logger = MLFlowLogger(experiment_name="bench-peers", tracking_uri=uri)
    def finish():
        global run_id
        run_id = logger.run_id
        logger.finalize("success")
    return (lambda step, metrics: logger.log_metrics(metrics, step=step)), finish
"""),
    "accelerate_mlflow": ("peers", "Accelerate MLflowTracker (log per step)", "mlflow", r"""
def setup():
    os.environ["MLFLOW_TRACKING_URI"] = uri
    from accelerate.tracking import MLflowTracker
    tracker = MLflowTracker(experiment_name="bench-peers", logging_dir=work)
    def finish():
        global run_id
        import mlflow
        run_id = mlflow.active_run().info.run_id
        tracker.finish()
    return (lambda step, metrics: tracker.log(metrics, step=step)), finish
"""),
    "mlflow_async": ("peers", "MLflow async (mlflow.log_metrics synchronous=False)", "mlflow", r"""
def setup():
    import mlflow
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment("bench-peers")
    def finish():
        global run_id
        run_id = mlflow.active_run().info.run_id
        mlflow.flush_async_logging()
        mlflow.end_run()
    return (lambda step, metrics: mlflow.log_metrics(metrics, step=step, synchronous=False)), finish
"""),
    "ours_mlflow_step": ("ours", "ours: MLFLOW (log_metrics per step)", "mlflow", r"""
def setup():
    import argparse
    from mlpipelines.tracking import MultiBackendTracker
    tracker = MultiBackendTracker(argparse.Namespace(tracking_backends="MLFLOW", mlflow_tracking_uri=uri,
        mlflow_experiment_name="bench-peers", mlflow_spool_dir=work + "/spool"))
    tracker.start()
    def finish():
        global run_id
        tracker.close()
        run_id = tracker.backends[0][1].run_id
    return (lambda step, metrics: tracker.log_metrics(metrics, step=step)), finish
"""),
    "ours_mlflow_value": ("ours", "ours: MLFLOW (log_metric per value)", "mlflow", r"""
def setup():
    import argparse
    from mlpipelines.tracking import MultiBackendTracker
    tracker = MultiBackendTracker(argparse.Namespace(tracking_backends="MLFLOW", mlflow_tracking_uri=uri,
        mlflow_experiment_name="bench-peers", mlflow_spool_dir=work + "/spool"))
    tracker.start()
    def log(step, metrics):
        for key, value in metrics.items():
            tracker.log_metric(key, value, step=step)
    def finish():
        global run_id
        tracker.close()
        run_id = tracker.backends[0][1].run_id
    return log, finish
"""),
    "ours_four_journal": ("ours", "ours: all four backends, journal on (log_metric per value)", "mlflow", r"""
def setup():
    import argparse, contextlib
    from mlpipelines.tracking import MultiBackendTracker
    sys.stdout = open(os.devnull, "w")
    tracker = MultiBackendTracker(argparse.Namespace(tracking_backends="MLFLOW,CSV,STDOUT,TENSORBOARD",
        mlflow_tracking_uri=uri, mlflow_experiment_name="bench-peers", mlflow_spool_dir=work + "/spool",
        csv_dir=work + "/csv", tensorboard_log_dir=work + "/tb", tracking_journal=work + "/metrics.journal"))
    tracker.start()
    def log(step, metrics):
        for key, value in metrics.items():
            tracker.log_metric(key, value, step=step)
    def finish():
        global run_id
        tracker.close()
        sys.stdout = sys.__stdout__
        run_id = tracker.backends[0][1].run_id
    return log, finish
"""),
    "lightning_csv": ("peers", "Lightning CSVLogger (log_metrics per step)", "csv", r"""
def setup():
    from lightning.pytorch.loggers import CSVLogger
    logger = CSVLogger(work)
    return (lambda step, metrics: logger.log_metrics(metrics, step=step)), lambda: logger.finalize("success")
"""),
    "ours_csv_step": ("ours", "ours: CSV (log_metrics per step, no journal)", "csv", r"""
def setup():
    import argparse
    from mlpipelines.tracking import MultiBackendTracker
    tracker = MultiBackendTracker(argparse.Namespace(tracking_backends="CSV", csv_dir=work + "/csv"))
    tracker.start()
    return (lambda step, metrics: tracker.log_metrics(metrics, step=step)), tracker.close
"""),
    "ours_csv_step_journal": ("ours", "ours: CSV (log_metrics per step, journal on)", "csv", r"""
def setup():
    import argparse
    from mlpipelines.tracking import MultiBackendTracker
    tracker = MultiBackendTracker(argparse.Namespace(tracking_backends="CSV", csv_dir=work + "/csv",
                                                     tracking_journal=work + "/metrics.journal"))
    tracker.start()
    return (lambda step, metrics: tracker.log_metrics(metrics, step=step)), tracker.close
"""),
    "ours_csv_wide_journal": ("ours", "ours: CSV wide layout (log_metrics per step, journal on)", "csv", r"""
def setup():
    import argparse
    from mlpipelines.tracking import MultiBackendTracker
    tracker = MultiBackendTracker(argparse.Namespace(tracking_backends="CSV", csv_dir=work + "/csv",
        csv_layout="wide", tracking_journal=work + "/metrics.journal"))
    tracker.start()
    return (lambda step, metrics: tracker.log_metrics(metrics, step=step)), tracker.close
"""),
    "ours_csv_value_journal": ("ours", "ours: CSV (log_metric per value, journal on)", "csv", r"""
def setup():
    import argparse
    from mlpipelines.tracking import MultiBackendTracker
    tracker = MultiBackendTracker(argparse.Namespace(tracking_backends="CSV", csv_dir=work + "/csv",
                                                     tracking_journal=work + "/metrics.journal"))
    tracker.start()
    def log(step, metrics):
        for key, value in metrics.items():
            tracker.log_metric(key, value, step=step)
    return log, tracker.close
"""),
}


def peers_python(venv):
    """The peers' interpreter, creating their environment on first use."""
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"creating {venv} (torch==2.13.0, lightning, accelerate, mlflow=={mlflow.__version__})", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "torch==2.13.0", "lightning", "accelerate",
                        f"mlflow=={mlflow.__version__}"], check=True)
    return python


def run_row(python, body, uri, work, n, env):
    script = HARNESS.replace("BODY", body)
    finished = subprocess.run([str(python), "-c", script, uri, str(work), str(n)], capture_output=True, text=True,
                              env=env, timeout=3600, check=False, cwd=work)
    if finished.returncode != 0:
        raise RuntimeError(f"exit {finished.returncode}: {finished.stderr[-3000:]}")
    return json.loads(finished.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=20000, help="metrics per MLflow row (default 20000)")
    parser.add_argument("--csv-n", type=int, default=1_000_000, help="metrics per CSV row (default 1000000)")
    parser.add_argument("--venv", type=Path, default=REPOSITORY / "build" / "peers-venv",
                        help="the peers' virtual environment (default build/peers-venv; created if missing)")
    parser.add_argument("--rows", help=f"comma-separated rows (default all): {','.join(ROWS)}")
    options = parser.parse_args(argv)
    chosen = options.rows.split(",") if options.rows else list(ROWS)
    unknown = sorted(set(chosen) - set(ROWS))
    if unknown:
        parser.error(f"unknown rows {', '.join(unknown)}; expected some of {', '.join(ROWS)}")
    pythons = {"ours": Path(sys.executable)}
    if any(ROWS[name][0] == "peers" for name in chosen):
        pythons["peers"] = peers_python(options.venv.resolve())
    ours_env = {**os.environ, "PYTHONPATH": str(REPOSITORY / "python")}
    peers_env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-peers-") as work, contextlib.ExitStack() as stack:
        server = stack.enter_context(MlflowServer(Path(work) / "server"))
        client = mlflow.MlflowClient(server.url)
        for name in chosen:
            side, label, kind, body = ROWS[name]
            n = options.n if kind == "mlflow" else options.csv_n
            row_dir = Path(work) / name
            row_dir.mkdir()
            began = time.perf_counter()
            result = run_row(pythons[side], body, server.url, row_dir, n, ours_env if side == "ours" else peers_env)
            if result["run_id"]:
                result["stored"] = sum(len(client.get_metric_history(result["run_id"], f"metric_{i}"))
                                       for i in range(10))
            results.append((label, n, result))
            print(f"  {label}: {time.perf_counter() - began:.1f} s", file=sys.stderr)
    print(f"\nmlflow {mlflow.__version__}, SQLite-backed server, Python {sys.version.split()[0]}, "
          f"load average {os.getloadavg()[0]:.1f}\n")
    print("| row | N | µs/metric training thread (wall) | CPU µs/metric | metrics/s incl. final flush "
          "| first call ms | peak RSS MiB | stored |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for label, n, r in results:
        print(f"| {label} | {n:,} | {r['wall_us']:.2f} | {r['cpu_us']:.2f} | {r['rate']:,.0f} | {r['first_ms']:.1f} "
              f"| {r['rss_mib']:.0f} | {r.get('stored', '-')} |")


if __name__ == "__main__":
    main()
