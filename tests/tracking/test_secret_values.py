"""The Python half stores a param or tag under a secret-looking key as the mask, in every backend."""

from __future__ import annotations

import argparse

import yaml

from mlpipelines.tracking import MultiBackendTracker
from mlpipelines.tracking.redaction import MASK


def test_secret_params_and_tags_are_masked_in_csv_and_tensorboard(tmp_path):
    args = argparse.Namespace(
        tracking_backends="CSV,TENSORBOARD", csv_dir=str(tmp_path / "csv"), tensorboard_log_dir=str(tmp_path / "tb")
    )
    with MultiBackendTracker(args) as tracker:
        tracker.log_params({"db_password": "hunter2-secret", "lr": 0.1, "tokenizer_vocab_size": 3000})
        tracker.set_tag("api_token", "tok-0123456789")
        tracker.set_tags({"team": "vision"})
    run = tmp_path / "csv" / "run_1"
    assert yaml.safe_load((run / "params.yaml").read_text(encoding="utf-8")) == {
        "db_password": MASK,
        "lr": 0.1,
        "tokenizer_vocab_size": 3000,  # a number, not a secret: stored typed
    }
    assert yaml.safe_load((run / "tags.yaml").read_text(encoding="utf-8")) == {"api_token": MASK, "team": "vision"}
    for path in tmp_path.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            assert b"hunter2-secret" not in content and b"tok-0123456789" not in content, path
    assert any(b"db_password" in path.read_bytes() for path in (tmp_path / "tb").rglob("events.out.tfevents.*"))
