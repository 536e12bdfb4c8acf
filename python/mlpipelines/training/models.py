"""Keeping a trained model: a file beside the checkpoints, an artifact of every run, an MLflow model.

:func:`keep_model` saves the final weights as ``model.pt`` (a ``state_dict``; load it into the
script's ``build_model()``), logs that file as the artifact ``model/model.pt`` of every backend that
keeps files (MLflow, CSV and TensorBoard run directories), and, when MLflow is enabled, logs the
model with ``mlflow.pytorch.log_model`` into the same run: it shows under the run's "Logged models"
and loads back with ``mlflow.pytorch.load_model``. The run stays open: the launcher (or the
tracker that owns it) ends it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

_LOG = logging.getLogger("mlpipelines.training")

# What the logged MLflow model needs to load; given, so that MLflow does not infer it by loading the model again.
MODEL_REQUIREMENTS = [f"torch=={torch.__version__.split('+')[0]}", "numpy"]


def keep_model(model: nn.Module, example: np.ndarray, tracker: Any, directory: str | Path) -> Path:
    """Saves and logs the final model; returns the path of ``model.pt``.

    Args:
        model: the trained network (not its DistributedDataParallel wrapper).
        example: a few input rows, for the MLflow model's signature.
        tracker: the script's ``MultiBackendTracker``.
        directory: where ``model.pt`` goes (the checkpoint directory).

    A failure to log the MLflow model is reported on the ``mlpipelines.training`` logger and
    tagged on the run (``model_logging_error``), not raised: the weights are saved already.
    """
    path = Path(directory) / "model.pt"
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), path)
    tracker.log_artifact(path, artifact_path="model")
    mlflow_backend = next((backend for name, backend in getattr(tracker, "backends", []) if name == "MLFLOW"), None)
    if mlflow_backend is not None:
        try:
            model_uri = log_mlflow_model(model, example, mlflow_backend)
            tracker.set_tags({"logged_model_uri": model_uri})
        except Exception as error:  # the run goes on; the failure is reported once
            _LOG.error("could not log the model to MLflow: %s: %s", type(error).__name__, error)
            tracker.set_tags({"model_logging_error": f"{type(error).__name__}: {error}"[:500]})
    return path


def log_mlflow_model(model: nn.Module, example: np.ndarray, backend: Any) -> str:
    """Logs ``model`` with ``mlflow.pytorch.log_model`` into the run of the MLflow tracking backend; returns its URI."""
    import mlflow
    from mlflow.models import infer_signature

    backend.flush()  # an own run exists only once something was delivered
    run_id = backend.run_id
    if run_id is None:
        raise RuntimeError("the MLflow backend has no run yet")
    mlflow.set_tracking_uri(backend.options.mlflow_tracking_uri)
    # The logged model belongs to an experiment of its own choosing unless told: the run's.
    mlflow.set_experiment(experiment_id=mlflow.MlflowClient().get_run(run_id).info.experiment_id)
    model.eval()
    with torch.no_grad():
        output = model(torch.from_numpy(example)).numpy()
    # MLflow warns on every pickled model; the choice is deliberate (see below), so the console stays quiet.
    pytorch_logger = logging.getLogger("mlflow.pytorch")
    level = pytorch_logger.level
    pytorch_logger.setLevel(logging.ERROR)
    try:
        info = _log_model(model, run_id, infer_signature(example, output))
    finally:
        pytorch_logger.setLevel(level)
    return str(info.model_uri)


def _log_model(model: nn.Module, run_id: str, signature: Any) -> Any:
    import mlflow.pytorch

    return mlflow.pytorch.log_model(
        model,
        name="model",
        run_id=run_id,  # Model.log's: links the logged model to this run without starting or ending it
        signature=signature,
        pip_requirements=MODEL_REQUIREMENTS,
        # The whole nn.Module, as mlflow.pytorch.load_model returns it; MLflow 3's default 'pt2'
        # traces the graph instead and loads back as an exported program.
        serialization_format="pickle",
    )
