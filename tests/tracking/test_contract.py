"""One contract over every built-in backend in the registry: same calls, same guarantees."""

import dataclasses

import pytest

from mlpipelines.tracking import TrackingError, registered_trackers

BUILT_INS = ["STDOUT", "MLFLOW", "CSV", "TENSORBOARD"]


def options_for(name, tmp_path):
    cls = registered_trackers()[name]
    overrides = {
        "mlflow_tracking_uri": f"sqlite:///{tmp_path / 'mlflow.db'}",
        "csv_dir": str(tmp_path / "csv"),
        "tensorboard_log_dir": str(tmp_path / "tb"),
    }
    names = {f.name for f in dataclasses.fields(cls.options_class)}
    return cls, cls.options_class(**{k: v for k, v in overrides.items() if k in names})


def test_every_built_in_is_registered_under_its_enum_name():
    assert set(BUILT_INS) <= set(registered_trackers())


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
    if name in ("MLFLOW", "TENSORBOARD"):
        with pytest.raises(TrackingError, match="closed"):
            tracker.log_metric("loss", 0.1)
