"""mlpipelines.training.loop: optimisers, schedules, clipping, early stopping, checkpoints, reproducibility."""

from types import SimpleNamespace

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from mlpipelines.training.data import Split  # noqa: E402
from mlpipelines.training.loop import EPOCH_METRICS, Settings, build_optimizer, build_scheduler, fit, seed_everything  # noqa: E402


class Recorder:
    """A tracker that keeps what it is given."""

    def __init__(self):
        self.metrics = []
        self.tags = {}

    def log_metric(self, key, value, step):
        self.metrics.append((key, value, step))

    def log_metrics(self, metrics, step):
        self.metrics.extend((key, value, step) for key, value in metrics.items())

    def set_tags(self, tags):
        self.tags.update(tags)

    def series(self, key):
        return [(step, value) for name, value, step in self.metrics if name == key]


def blobs(seed=0, n=200):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = (rng.normal(size=(n, 2)) + y[:, None] * 3).astype(np.float32)
    return Split(x[:150], y[:150].astype(np.int64), x[150:], y[150:].astype(np.int64), ("0", "1"))


def model():
    return torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))


def settings(tmp_path, **values):
    base = {"task": "classification", "epochs": 3, "batch_size": 16, "learning_rate": 0.05, "seed": 3}
    return Settings(**{**base, "checkpoint_dir": str(tmp_path / "checkpoints"), **values})


def test_fit_logs_every_step_and_the_epoch_metrics_and_keeps_best_and_last(tmp_path):
    seed_everything(3)
    tracker = Recorder()
    result = fit(model(), blobs(), settings(tmp_path, optimizer="adam"), tracker)
    steps_per_epoch = -(-150 // 16)
    assert [step for step, _ in tracker.series("train_loss")] == list(range(1, 3 * steps_per_epoch + 1))
    for key in EPOCH_METRICS["classification"]:
        assert [step for step, _ in tracker.series(key)] == [steps_per_epoch * epoch for epoch in (1, 2, 3)], key
    assert tracker.series("val_accuracy")[-1][1] > 0.9
    assert result.epochs == 3 and result.monitor == "val_loss" and not result.stopped_early
    last = torch.load(tmp_path / "checkpoints" / "last.pt")
    assert last["epoch"] == 3 and "optimizer" in last
    assert torch.load(tmp_path / "checkpoints" / "best.pt")["epoch"] == result.best_epoch


def test_a_seeded_cpu_run_is_reproducible(tmp_path):
    runs = []
    for attempt in range(2):
        seed_everything(5)
        tracker = Recorder()
        fit(model(), blobs(), settings(tmp_path / str(attempt), seed=5), tracker)
        runs.append(tracker.series("train_loss"))
    assert runs[0] == runs[1]


def test_early_stopping_stops_after_patience_epochs_without_improvement(tmp_path):
    tracker = Recorder()
    # A learning rate of almost 0 never improves train_epoch_accuracy after the first epoch.
    result = fit(
        model(),
        blobs(),
        settings(
            tmp_path,
            epochs=20,
            learning_rate=1e-12,
            early_stopping_monitor="train_epoch_accuracy",
            early_stopping_patience=2,
        ),
        tracker,
    )
    assert result.stopped_early and result.epochs == 3 and result.best_epoch == 1
    assert tracker.tags == {"best_epoch": "1", "stopped_early": "true"}


def test_regression_logs_mae_and_monitors_it(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [2.0], [-1.0]])).astype(np.float32)
    split = Split(x[:80], y[:80], x[80:], y[80:])
    tracker = Recorder()
    net = torch.nn.Linear(3, 1)
    fit(net, split, settings(tmp_path, task="regression", epochs=5, optimizer="adam"), tracker)
    assert {key for key, _, _ in tracker.metrics} >= set(EPOCH_METRICS["regression"])
    maes = [value for _, value in tracker.series("val_mae")]
    assert maes[-1] < maes[0]


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        ({"optimizer": "sgd", "momentum": 0.9}, torch.optim.SGD),
        ({"optimizer": "adam"}, torch.optim.Adam),
        ({"optimizer": "adamw", "weight_decay": 0.01}, torch.optim.AdamW),
    ],
)
def test_optimisers(tmp_path, values, kind):
    optimizer = build_optimizer(model(), settings(tmp_path, **values))
    assert isinstance(optimizer, kind)
    for key in ("momentum", "weight_decay"):
        if key in values:
            assert optimizer.param_groups[0][key] == values[key]


def test_schedules_decay_the_learning_rate_per_epoch(tmp_path):
    optimizer = build_optimizer(model(), settings(tmp_path))
    step = build_scheduler(optimizer, settings(tmp_path, lr_schedule="step", lr_step_size=2, lr_gamma=0.5))
    rates = []
    for _ in range(4):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        step.step()
    assert rates == pytest.approx([0.05, 0.05, 0.025, 0.025])
    assert build_scheduler(optimizer, settings(tmp_path)) is None


def test_clipping_bounds_the_gradient_norm(tmp_path, monkeypatch):
    norms = []
    original = torch.nn.utils.clip_grad_norm_

    def recording(parameters, max_norm):
        norms.append(max_norm)
        return original(parameters, max_norm)

    monkeypatch.setattr(torch.nn.utils, "clip_grad_norm_", recording)
    fit(model(), blobs(), settings(tmp_path, epochs=1, grad_clip_norm=0.5), Recorder())
    assert norms and set(norms) == {0.5}


def test_settings_take_the_script_options_by_name():
    args = SimpleNamespace(epochs=2, batch_size=8, learning_rate=0.1, seed=1, optimizer="adam", unrelated=True)
    assert Settings.from_args(args, "regression") == Settings("regression", 2, 8, 0.1, 1, optimizer="adam")
