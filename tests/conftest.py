"""Shared pytest fixtures for every suite under tests/."""

import pytest

from mlflow_server import MlflowServer


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory):
    """One real ``mlflow server`` (127.0.0.1, free port, SQLite store) for the whole session.

    Tests that stop or restart a server must start their own ``MlflowServer`` instead.
    """
    with MlflowServer(tmp_path_factory.mktemp("mlflow-server")) as server:
        yield server
