"""Benchmark: the tracking overhead per training step of a PyTorch run.

Trains the CNN of examples/digits_cnn.yaml (digits as 1x8x8 images, batches of 64, AdamW) with
``mlpipelines.training.loop.fit`` — the loop generated scripts call — once with tracking off and
once with all four backends (MLFLOW into a run of a local MLflow server, CSV, STDOUT to /dev/null,
TENSORBOARD), optionally with the metric journal on, alternating the rows ``--repeats`` times. It
reports (after a warm-up metric, so that opening the stores is not counted) the median wall time per optimiser step (the whole fit: steps, per-epoch evaluation,
checkpoints, logging) and the difference to the row without tracking, plus the time the training thread spent inside the
tracker's calls per step (measured around each call: the direct cost, free of the machine's noise).

Usage::

    .venv/bin/python bench/bench_torch_step.py [--epochs 3] [--repeats 3]
"""

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY / "tests"))
sys.path.insert(0, str(REPOSITORY / "python"))

import mlflow  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from mlflow_server import MlflowServer  # noqa: E402
from mlpipelines.tracking import MultiBackendTracker  # noqa: E402
from mlpipelines.training.data import load_data  # noqa: E402
from mlpipelines.training.loop import Settings, fit, seed_everything  # noqa: E402

DATA = {"source": "sklearn", "name": "digits", "layout": "image", "task": "classification",
        "input_shape": [1, 8, 8], "outputs": 10}
ROWS = [("none", "", False), ("all four", "MLFLOW,CSV,STDOUT,TENSORBOARD", False),
        ("all four, journal on", "MLFLOW,CSV,STDOUT,TENSORBOARD", True)]


def build_model():
    """examples/digits_cnn.yaml's layers, as the generator writes them."""
    return nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(kernel_size=2),
        nn.Conv2d(16, 32, kernel_size=3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.Flatten(),
        nn.Dropout(p=0.25), nn.Linear(512, 64), nn.ReLU(), nn.Linear(64, 10),
    )


class TimedTracker:
    """Passes every call the loop makes to the tracker and adds up the time spent in them."""

    def __init__(self, tracker):
        self.tracker = tracker
        self.seconds = 0.0

    def _timed(self, method, *args, **kwargs):
        start = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - start

    def log_metric(self, *args, **kwargs):
        return self._timed(self.tracker.log_metric, *args, **kwargs)

    def log_metrics(self, *args, **kwargs):
        return self._timed(self.tracker.log_metrics, *args, **kwargs)

    def set_tags(self, *args, **kwargs):
        return self._timed(self.tracker.set_tags, *args, **kwargs)


def one_fit(backends, journal, epochs, work, uri, client, experiment_id, attempt):
    run_id = client.create_run(experiment_id, run_name=f"{backends or 'none'}-{attempt}").info.run_id
    args = argparse.Namespace(
        tracking_backends=backends, mlflow_tracking_uri=uri, mlflow_run_id=run_id,
        mlflow_spool_dir=str(work / "spool"), csv_dir=str(work / "csv"), tensorboard_log_dir=str(work / "tb"),
        tracking_journal=str(work / f"{run_id}.journal") if journal else None,
    )
    settings = Settings(task="classification", epochs=epochs, batch_size=64, learning_rate=0.003, seed=42,
                        optimizer="adamw", weight_decay=1e-4, lr_schedule="cosine", grad_clip_norm=1.0,
                        progress=False, checkpoint_dir=str(work / "checkpoints"))
    split = load_data(DATA, 0.2, seed=42)
    seed_everything(42)
    model = build_model()
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull), contextlib.redirect_stderr(devnull):
        tracker = MultiBackendTracker(args)
        tracker.log_metric("warm_up", 0.0)  # first use opens files, starts threads, imports mlflow: not per step
        tracker.flush()
        timed = TimedTracker(tracker)
        start = time.perf_counter()
        result = fit(model, split, settings, timed)
        trained = time.perf_counter() - start
        tracker.close()
    return trained / result.steps * 1000, timed.seconds / result.steps * 1000, result.steps


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    options = parser.parse_args(argv)
    torch.set_num_threads(1)  # one core per run, as on the shared 2-core machine; less noise
    with tempfile.TemporaryDirectory(prefix="bench-torch-") as directory:
        work = Path(directory)
        with MlflowServer(work / "server") as server:
            client = mlflow.MlflowClient(server.url)
            experiment_id = client.create_experiment(f"bench-torch-{int(time.time())}")
            timings = {name: [] for name, _, _ in ROWS}
            in_calls = {name: [] for name, _, _ in ROWS}
            steps = 0
            for attempt in range(options.repeats):
                for name, backends, journal in ROWS:
                    ms, call_ms, steps = one_fit(backends, journal, options.epochs, work, server.url, client,
                                                 experiment_id, attempt)
                    timings[name].append(ms)
                    in_calls[name].append(call_ms)
                    print(f"  {name}: {ms:.3f} ms/step, {call_ms:.4f} in tracking calls", file=sys.stderr)
    base = statistics.median(timings["none"])
    print(f"\nPyTorch {torch.__version__} (1 thread), mlflow {mlflow.__version__}, {steps} steps per fit "
          f"({options.epochs} epochs of 1438 digits, batches of 64), median of {options.repeats}\n")
    print("| tracking | ms/step (whole fit / steps) | vs none | ms/step inside tracking calls (training thread) |")
    print("|---|---:|---:|---:|")
    for name, _, _ in ROWS:
        median = statistics.median(timings[name])
        print(f"| {name} | {median:.3f} | {median - base:+.3f} | {statistics.median(in_calls[name]):.4f} |")


if __name__ == "__main__":
    main()
