"""The training loop of generated PyTorch scripts: optimiser, schedule, clipping, early stopping, checkpoints.

A generated script builds its model and calls :func:`fit`::

    settings = Settings.from_args(args, task="classification")
    seed_everything(settings.seed)
    result = fit(build_model(), load_data(DATA, args.validation_split, args.seed), settings, tracker)

Every step logs ``train_loss``; every epoch logs the metrics of :data:`EPOCH_METRICS` for the task
(the ``val_`` ones when there is validation data), ``epoch`` and ``lr``. Checkpoints go to
``settings.checkpoint_dir``: ``last.pt`` after every epoch, ``best.pt`` whenever the monitored
metric improves.
"""

from __future__ import annotations

import dataclasses
import os
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

from .data import Split
from .distributed import ProcessGroup

# Per task, the metrics logged once per epoch and whether lower or higher is better. The Java
# generator's data.Task lists the same names (early_stopping.monitor is checked against them);
# tests/training/test_loop.py checks that both agree.
EPOCH_METRICS: dict[str, dict[str, str]] = {
    "classification": {
        "train_epoch_loss": "min",
        "train_epoch_accuracy": "max",
        "val_loss": "min",
        "val_accuracy": "max",
    },
    "regression": {"train_epoch_loss": "min", "train_epoch_mae": "min", "val_loss": "min", "val_mae": "min"},
}

_EVALUATION_BATCH = 1024


@dataclasses.dataclass(frozen=True)
class Settings:
    """How to train: the generated script's training options, by the same names.

    Attributes:
        task: ``classification`` (cross-entropy, accuracy) or ``regression`` (MSE, MAE).
        optimizer: ``sgd`` (with ``momentum``), ``adam`` or ``adamw``.
        lr_schedule: ``none``, ``step`` (times ``lr_gamma`` every ``lr_step_size`` epochs) or ``cosine``.
        grad_clip_norm: the largest gradient norm; 0 turns clipping off.
        early_stopping_monitor: an epoch metric of the task, or ``none``.
        early_stopping_patience: epochs without improvement before training stops.
        progress: show a progress bar per epoch on stderr (only when stderr is a terminal).
        checkpoint_dir: where ``best.pt``, ``last.pt`` and the final ``model.pt`` go.
    """

    task: str
    epochs: int
    batch_size: int
    learning_rate: float
    seed: int
    optimizer: str = "sgd"
    momentum: float = 0.0
    weight_decay: float = 0.0
    lr_schedule: str = "none"
    lr_step_size: int = 1
    lr_gamma: float = 0.1
    grad_clip_norm: float = 0.0
    early_stopping_monitor: str = "none"
    early_stopping_patience: int = 0
    progress: bool = True
    checkpoint_dir: str = "checkpoints"

    @classmethod
    def from_args(cls, args: object, task: str) -> Settings:
        """The settings from a parsed namespace: every field that ``args`` has, the defaults for the rest."""
        names = {field.name for field in dataclasses.fields(cls)} - {"task"}
        values: dict[str, Any] = {name: getattr(args, name) for name in names if hasattr(args, name)}
        return cls(task=task, **values)


@dataclasses.dataclass(frozen=True)
class FitResult:
    """What :func:`fit` did.

    Attributes:
        epochs: the epochs trained (fewer than asked when early stopping ended the training).
        steps: optimiser steps taken.
        monitor: the metric that chose the best checkpoint.
        best: its best value, and the epoch it was reached in.
        stopped_early: whether early stopping ended the training.
        last_metrics: the metrics of the last epoch.
    """

    epochs: int
    steps: int
    monitor: str
    best: float
    best_epoch: int
    stopped_early: bool
    last_metrics: dict[str, float]


def seed_everything(seed: int) -> None:
    """Seeds Python, NumPy and torch, and makes torch pick deterministic kernels: a CPU run is reproducible."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


def build_optimizer(model: nn.Module, settings: Settings) -> torch.optim.Optimizer:
    """The optimiser ``settings.optimizer`` names, over the model's parameters."""
    parameters = model.parameters()
    if settings.optimizer == "sgd":
        return torch.optim.SGD(
            parameters, lr=settings.learning_rate, momentum=settings.momentum, weight_decay=settings.weight_decay
        )
    if settings.optimizer == "adam":
        return torch.optim.Adam(parameters, lr=settings.learning_rate, weight_decay=settings.weight_decay)
    if settings.optimizer == "adamw":
        return torch.optim.AdamW(parameters, lr=settings.learning_rate, weight_decay=settings.weight_decay)
    raise ValueError(f"optimizer {settings.optimizer!r} is not one of sgd, adam, adamw")


def build_scheduler(
    optimizer: torch.optim.Optimizer, settings: Settings
) -> torch.optim.lr_scheduler.LRScheduler | None:
    """The learning-rate schedule, stepped once per epoch; None for ``none``."""
    if settings.lr_schedule == "none":
        return None
    if settings.lr_schedule == "step":
        return torch.optim.lr_scheduler.StepLR(optimizer, step_size=settings.lr_step_size, gamma=settings.lr_gamma)
    if settings.lr_schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=settings.epochs)
    raise ValueError(f"lr_schedule {settings.lr_schedule!r} is not one of none, step, cosine")


def loss_function(task: str) -> nn.Module:
    """Cross-entropy for classification, mean squared error for regression."""
    return nn.CrossEntropyLoss() if task == "classification" else nn.MSELoss()


def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, task: str) -> tuple[float, float]:
    """(mean loss, accuracy or mean absolute error) over a whole data set, in evaluation mode."""
    loss = loss_function(task)
    was_training = model.training
    model.eval()
    total_loss, total_score = 0.0, 0.0
    with torch.no_grad():
        for start in range(0, len(x), _EVALUATION_BATCH):
            batch_x, batch_y = x[start : start + _EVALUATION_BATCH], y[start : start + _EVALUATION_BATCH]
            output = model(batch_x)
            total_loss += float(loss(output, batch_y)) * len(batch_x)
            if task == "classification":
                total_score += float((output.argmax(dim=1) == batch_y).sum())
            else:
                total_score += float((output - batch_y).abs().sum())
    model.train(was_training)
    return total_loss / len(x), total_score / len(x)


def _save(path: Path, payload: dict[str, Any]) -> None:
    """torch.save beside the target, then a rename: a kill never leaves half a checkpoint."""
    temporary = path.with_name(path.name + ".tmp")
    torch.save(payload, temporary)
    os.replace(temporary, path)


def _progress(batches: DataLoader[Any], epoch: int, settings: Settings, group: ProcessGroup) -> Any:
    """The batches, wrapped in a tqdm bar on stderr when it is a terminal and this is the main process.

    Under ``mlpipelines run`` stderr is the launcher's pipe; the launcher sets ``MLPIPELINES_PROGRESS=1``
    when it forwards to a terminal itself.
    """
    terminal = sys.stderr.isatty() or os.environ.get("MLPIPELINES_PROGRESS") == "1"
    if not settings.progress or not group.is_main or not terminal:
        return batches
    try:
        from tqdm import tqdm
    except ImportError:  # the bar is a nicety; training goes on without it
        return batches
    return tqdm(batches, desc=f"epoch {epoch}/{settings.epochs}", file=sys.stderr, leave=False, unit="step")


def _loader(split: Split, settings: Settings, group: ProcessGroup) -> DataLoader[Any]:
    dataset = TensorDataset(torch.from_numpy(split.train_x), torch.from_numpy(split.train_y))
    if group.world_size > 1:
        # Each process trains on its own shard; the sampler reshuffles per epoch from the seed.
        sampler: DistributedSampler[Any] = DistributedSampler(
            dataset, num_replicas=group.world_size, rank=group.rank, shuffle=True, seed=settings.seed
        )
        return DataLoader(dataset, batch_size=settings.batch_size, sampler=sampler)
    generator = torch.Generator().manual_seed(settings.seed)
    return DataLoader(dataset, batch_size=settings.batch_size, shuffle=True, generator=generator)


def _epochs(loader: DataLoader[Any], settings: Settings) -> Iterator[int]:
    for epoch in range(1, settings.epochs + 1):
        if isinstance(loader.sampler, DistributedSampler):
            loader.sampler.set_epoch(epoch)
        yield epoch


def fit(
    model: nn.Module,
    split: Split,
    settings: Settings,
    tracker: Any,
    group: ProcessGroup | None = None,
) -> FitResult:
    """Trains ``model`` on ``split`` and logs into ``tracker``; see the module comment for what it logs and keeps.

    Args:
        model: the network; with several processes it is wrapped in DistributedDataParallel here.
        split: training and validation data.
        settings: optimiser, schedule, clipping, early stopping, checkpoints.
        tracker: a ``MultiBackendTracker`` (any object with ``log_metric``/``log_metrics``/``set_tags``).
        group: the process group; None for a single process.

    Returns:
        A :class:`FitResult`; the model holds the weights of the last epoch.
    """
    group = group or ProcessGroup.single()
    loss_fn = loss_function(settings.task)
    network = group.wrap(model)
    optimizer = build_optimizer(network, settings)
    scheduler = build_scheduler(optimizer, settings)
    loader = _loader(split, settings, group)
    train_x, train_y = torch.from_numpy(split.train_x), torch.from_numpy(split.train_y)
    val_x, val_y = torch.from_numpy(split.val_x), torch.from_numpy(split.val_y)
    score_name = "accuracy" if settings.task == "classification" else "mae"
    has_validation = len(val_y) > 0
    stopping = settings.early_stopping_monitor != "none" and settings.early_stopping_patience > 0
    monitor = settings.early_stopping_monitor if stopping else ("val_loss" if has_validation else "train_epoch_loss")
    if monitor not in EPOCH_METRICS[settings.task]:
        raise ValueError(f"early_stopping_monitor {monitor!r} is not one of {', '.join(EPOCH_METRICS[settings.task])}")
    if monitor.startswith("val_") and not has_validation:
        raise ValueError(f"early_stopping_monitor {monitor!r} needs validation data; validation_split is 0")
    lower_is_better = EPOCH_METRICS[settings.task][monitor] == "min"
    best, best_epoch, waited, step, epoch = float("inf") if lower_is_better else float("-inf"), 0, 0, 0, 0
    checkpoints = Path(settings.checkpoint_dir)
    if group.is_main:
        checkpoints.mkdir(parents=True, exist_ok=True)
    metrics: dict[str, float] = {}
    stopped_early = False
    network.train()
    for epoch in _epochs(loader, settings):
        batches = _progress(loader, epoch, settings, group)
        for batch_x, batch_y in batches:
            optimizer.zero_grad()
            loss = loss_fn(network(batch_x), batch_y)
            loss.backward()
            if settings.grad_clip_norm > 0:
                nn.utils.clip_grad_norm_(network.parameters(), settings.grad_clip_norm)
            optimizer.step()
            step += 1
            value = loss.item()
            tracker.log_metric("train_loss", value, step=step)
            if hasattr(batches, "set_postfix"):
                batches.set_postfix(loss=f"{value:.4f}", refresh=False)
        metrics = {"epoch": float(epoch), "lr": optimizer.param_groups[0]["lr"]}
        metrics["train_epoch_loss"], metrics["train_epoch_" + score_name] = evaluate(
            model, train_x, train_y, settings.task
        )
        if has_validation:
            metrics["val_loss"], metrics["val_" + score_name] = evaluate(model, val_x, val_y, settings.task)
        tracker.log_metrics(metrics, step=step)
        if scheduler is not None:
            scheduler.step()
        current = metrics[monitor]
        improved = current < best if lower_is_better else current > best
        state = {"epoch": epoch, "step": step, "metrics": metrics, "model": model.state_dict()}
        if group.is_main:
            _save(checkpoints / "last.pt", {**state, "optimizer": optimizer.state_dict()})
            if improved:
                _save(checkpoints / "best.pt", state)
        if improved:
            best, best_epoch, waited = current, epoch, 0
        else:
            waited += 1
        if group.is_main:
            shown = ", ".join(f"{key} {value:.4f}" for key, value in metrics.items() if key not in ("epoch", "lr"))
            print(f"epoch {epoch}/{settings.epochs} (step {step}): {shown}", flush=True)
        if group.agree(stopping and waited >= settings.early_stopping_patience):
            stopped_early = True
            if group.is_main:
                print(
                    f"early stopping after epoch {epoch}: {monitor} has not improved for {waited} epochs "
                    f"(best {best:.4f} in epoch {best_epoch})",
                    flush=True,
                )
            break
    tracker.set_tags({"best_epoch": str(best_epoch), "stopped_early": str(stopped_early).lower()})
    return FitResult(epoch, step, monitor, best, best_epoch, stopped_early, metrics)
