"""Shared pytest fixtures for every suite under tests/, and the markers ``make test-fast`` skips.

Markers are applied here, by where a test lives and by how long it measurably takes, so that a
test file needs no decorator to be classified:

* ``e2e``: everything under tests/e2e (the generator and a generated script, end to end).
* ``jvm``: everything under tests/contract and tests/bridge (a JVM through JPype, the Gradle build).
* ``slow``: every test that uses the session's ``mlflow_server`` (starting it took 41 s on the
  2-core CI machine), and the tests in ``SLOW_TESTS``, each measured above ``SLOW_SECONDS`` with
  ``pytest --durations=40`` over the whole suite.
"""

import os
from pathlib import Path

import pytest

from mlflow_server import MlflowServer

# A local MLflow server a test's pipeline starts stops with it rather than staying warm for 10 minutes;
# a test of the warm server sets its own timeout and stops the server itself.
os.environ["MLPIPELINES_MLFLOW_SERVER_IDLE_TIMEOUT"] = "0"

TESTS = Path(__file__).resolve().parent
DIRECTORY_MARKERS = {"e2e": "e2e", "contract": "jvm", "bridge": "jvm"}
SLOW_SECONDS = 3.0
# file::test, or file::test[case] for one case of a parametrized test; the measured seconds follow.
SLOW_TESTS = frozenset(
    {
        # 35
        "tracking/test_mlflow_outage.py::test_server_stopped_mid_run_then_replay_delivers_every_metric_exactly_once",
        "tracking/test_mlflow_outage.py::test_replay_while_the_server_is_still_down_exits_1_and_marks_nothing",  # 3.6
        "tracking/test_mlflow.py::test_local_sqlite_store_without_a_server",  # 4.5
        "tracking/test_contract.py::test_backend_contract[MLFLOW]",  # 4.3
        "tracking/test_process_exit.py::test_sigterm_delivers_buffered_metrics_then_runs_the_previous_handler",  # 4.7
        "tracking/test_process_exit.py::test_interpreter_exit_without_close_delivers_and_ends_the_run",  # 4.5-5.4
        "bridge/test_cli.py::test_replay_command_delivers_what_was_spooled_exactly_once",  # 65
        "bridge/test_cli.py::test_both_front_doors_print_the_same",  # 8.7
        # 33
        "contract/test_java_python_contract.py::test_java_params_build_exactly_the_matching_python_backends[MLFLOW]",
        "contract/test_outside_backend.py::test_a_real_run_writes_through_both_halves",  # 15
        "contract/test_outside_backend.py::test_backends_lists_both_halves[console-script]",  # 14
        "e2e/test_pipeline.py::test_a_local_store_gets_its_own_server_which_stops_with_the_pipeline",  # 69
        "e2e/test_pipeline.py::test_any_experiment_name_reaches_every_backend_exactly",  # 22-27 per case
        "e2e/test_pipeline.py::test_run_tracks_params_from_java_and_metrics_from_python_in_every_backend",  # 24
        "e2e/test_pipeline.py::test_a_script_that_raises_ends_the_run_failed_with_the_reason",  # 20
        "e2e/test_pipeline.py::test_a_training_killed_by_sigkill_loses_no_metric_in_any_backend",  # 20
        "e2e/test_pipeline.py::test_an_interrupted_launcher_stops_the_training_and_kills_the_run",  # 16
        "tracking/test_vendor_recovery.py::test_sigkill_then_recover_fills_each_vendor_run_with_every_returned_metric",
        "tracking/test_wandb.py::test_an_offline_run_holds_what_was_logged_and_says_how_to_sync_it",  # 4.4
        "tracking/test_handoff.py::test_a_script_that_exits_without_close_gets_every_value_logged_at_exit",  # 7-10
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
        listed = {f"{relative.as_posix()}::{function}", f"{relative.as_posix()}::{item.name}"} & SLOW_TESTS
        if listed or "mlflow_server" in getattr(item, "fixturenames", ()):
            item.add_marker("slow")
        if isinstance(item, pytest.Function):
            modules[relative.as_posix()] = item.module
    # A renamed test would silently lose its mark: every listed test of a collected file must exist.
    stale = sorted(
        test
        for test in SLOW_TESTS
        if test.split("::")[0] in modules
        and not hasattr(modules[test.split("::")[0]], test.split("::")[1].split("[")[0])
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
