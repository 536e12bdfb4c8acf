"""Helpers shared by the tracking runtime tests."""

import os
import sys
from pathlib import Path

import mlflow

PYTHON_SOURCE = Path(__file__).resolve().parents[2] / "python"
PYTHON = sys.executable


def subprocess_env(**extra):
    """Environment for a child Python that imports this worktree's ``mlpipelines``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in [str(PYTHON_SOURCE), env.get("PYTHONPATH")] if p)
    env.pop("MLFLOW_TRACKING_URI", None)
    env.update(extra)
    return env


def history(tracking_uri, run_id, key):
    """[(step, value)] of metric ``key`` as MLflow returns it, sorted by step then value."""
    client = mlflow.MlflowClient(tracking_uri)
    return sorted((metric.step, metric.value) for metric in client.get_metric_history(run_id, key))


def new_run(tracking_uri, experiment_name):
    """Create a run the way the Java side does (the test owns it); return its id."""
    client = mlflow.MlflowClient(tracking_uri)
    experiment = client.get_experiment_by_name(experiment_name)
    experiment_id = experiment.experiment_id if experiment else client.create_experiment(experiment_name)
    return client.create_run(experiment_id).info.run_id
