"""One contract over every built-in backend in the registry: same calls, same guarantees."""

import dataclasses

import pytest

import mlpipelines.tracking
from mlpipelines.tracking import TrackingError, registered_trackers

# Every backend whose module is part of the runtime, taken from the registry: a new built-in is a
# new case here without an edit.
BUILT_INS = sorted(
    name
    for name, cls in registered_trackers().items()
    if cls.__module__.startswith(mlpipelines.tracking.__name__ + ".") and cls.options_class is not None
)


def options_for(name, tmp_path):
    """Options with every directory in ``tmp_path`` and a local store for tracking URIs, by option name."""
    cls = registered_trackers()[name]
    overrides = {}
    for option in dataclasses.fields(cls.options_class):
        if option.name.endswith("_dir"):
            overrides[option.name] = str(tmp_path / option.name)
        elif option.name.endswith("_tracking_uri"):
            overrides[option.name] = f"sqlite:///{tmp_path / 'store.db'}"
    return cls, cls.options_class(**overrides)


def test_the_built_ins_are_found_in_the_registry():
    assert {"STDOUT", "MLFLOW", "CSV", "TENSORBOARD", "WANDB", "COMET", "DVCLIVE"} <= set(BUILT_INS)


@pytest.mark.parametrize("name", BUILT_INS)
def test_backend_contract(name, in_tmp_dir, capsys):
    cls, options = options_for(name, in_tmp_dir)
    tracker = cls(options)
    assert not any(in_tmp_dir.iterdir()), "a constructor must not touch the outside world"
    with tracker:
        tracker.log_metric("loss", 0.5, step=1)
        tracker.log_metrics({"loss": 0.25, "acc": 0.75}, step=2)
        tracker.log_params({"lr": 0.1})
        tracker.set_tags({"team": "vision"})
        tracker.flush()
    report = tracker.delivery_report()
    assert report.dropped == 0 and report.spooled == 0
    assert report.sent >= 3
    tracker.close()  # idempotent


@pytest.mark.parametrize("name", ["MLFLOW", "TENSORBOARD"])
def test_a_closed_background_backend_refuses_new_metrics(name, in_tmp_dir):
    cls, options = options_for(name, in_tmp_dir)
    tracker = cls(options)
    tracker.log_metric("loss", 0.5, step=1)
    tracker.close()
    with pytest.raises(TrackingError, match="closed"):
        tracker.log_metric("loss", 0.1)
