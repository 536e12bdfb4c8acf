"""Claiming ``run_<N>`` directories: the next number, and a bounded number of attempts."""

import os

import pytest

from mlpipelines.tracking import TrackingError, rundirs


def test_claims_the_number_after_the_highest_and_ignores_foreign_names(tmp_path):
    for name in ("run_2", "run_10", "run_x", "run_1234567890", "notes"):
        (tmp_path / name).mkdir()
    assert rundirs.claim_run_directory(str(tmp_path)) == str(tmp_path / "run_11")


def test_gives_up_after_the_attempt_cap_when_every_candidate_is_taken(tmp_path, monkeypatch):
    attempts = []

    def always_taken(path, *args, **kwargs):
        if os.path.basename(path).startswith("run_"):
            attempts.append(path)
        raise FileExistsError(path)  # as if another process had just claimed it (makedirs accepts it for parent)

    monkeypatch.setattr(rundirs, "MAX_CLAIM_ATTEMPTS", 5)
    monkeypatch.setattr(os, "mkdir", always_taken)
    with pytest.raises(TrackingError, match=f"gave up claiming a run directory in {tmp_path} after 5 collisions"):
        rundirs.claim_run_directory(str(tmp_path))
    assert len(attempts) == 5
