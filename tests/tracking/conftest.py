"""Fixtures of the tracking runtime tests."""

import logging

import pytest


@pytest.fixture
def in_tmp_dir(tmp_path, monkeypatch):
    """Run the test inside ``tmp_path`` (so the default ``--mlflow_spool_dir`` is there too); return ``tmp_path``."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return tmp_path


@pytest.fixture
def tracking_log(caplog):
    """Capture the ``mlpipelines.tracking`` logger at WARNING and above."""
    caplog.set_level(logging.WARNING, logger="mlpipelines.tracking")
    return caplog
