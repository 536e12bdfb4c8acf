"""Shared pytest fixtures for every suite under tests/, and the markers ``make test-fast`` skips.

Markers are applied here, by where a test lives and by how long it measurably takes, so that a
test file needs no decorator to be classified:

* ``e2e``: everything under tests/e2e (the generator and a generated script, end to end).
* ``jvm``: everything under tests/contract and tests/bridge (a JVM through JPype, the Gradle build).
* ``slow``: the tests in ``SLOW_TESTS``, each measured above ``SLOW_SECONDS`` with
  ``pytest --durations=30`` (setup of the session's MLflow server counts towards its first user).
"""

from pathlib import Path

import pytest

from mlflow_server import MlflowServer

TESTS = Path(__file__).resolve().parent
DIRECTORY_MARKERS = {"e2e": "e2e", "contract": "jvm", "bridge": "jvm"}
SLOW_SECONDS = 2.0
# Test ids without parameters (file::function); a parametrized test is slow in all its cases.
SLOW_TESTS = frozenset(
    {
        "tracking/test_mlflow_outage.py::test_server_stopped_mid_run_then_replay_delivers_every_metric_exactly_once",
        "tracking/test_mlflow.py::test_own_run_gets_every_value_params_tags_and_finished",
        "tracking/test_mlflow.py::test_full_queue_applies_back_pressure_and_loses_nothing",
        "tracking/test_mlflow.py::test_local_sqlite_store_without_a_server",
        "tracking/test_contract.py::test_backend_contract",
        "tracking/test_process_exit.py::test_sigterm_delivers_buffered_metrics_then_runs_the_previous_handler",
        "tracking/test_process_exit.py::test_interpreter_exit_without_close_delivers_and_ends_the_run",
    }
)


@pytest.hookimpl(tryfirst=True)  # before -m deselects by these markers
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark tests ``e2e``/``jvm`` by directory and ``slow`` by the measured list."""
    modules = {}
    for item in items:
        relative = Path(item.path).resolve().relative_to(TESTS)
        marker = DIRECTORY_MARKERS.get(relative.parts[0])
        if marker is not None:
            item.add_marker(marker)
        function = getattr(item, "originalname", item.name)
        if f"{relative.as_posix()}::{function}" in SLOW_TESTS:
            item.add_marker("slow")
        if isinstance(item, pytest.Function):
            modules[relative.as_posix()] = item.module
    # A renamed test would silently lose its mark: every listed test of a collected file must exist.
    stale = sorted(
        test
        for test in SLOW_TESTS
        if test.split("::")[0] in modules and not hasattr(modules[test.split("::")[0]], test.split("::")[1])
    )
    if stale:
        raise pytest.UsageError(f"tests/conftest.py: SLOW_TESTS names tests that do not exist: {', '.join(stale)}")


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory):
    """One real ``mlflow server`` (127.0.0.1, free port, SQLite store) for the whole session.

    Tests that stop or restart a server must start their own ``MlflowServer`` instead.
    """
    with MlflowServer(tmp_path_factory.mktemp("mlflow-server")) as server:
        yield server
