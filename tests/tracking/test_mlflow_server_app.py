"""The ``mlpipelines`` MLflow app plugin: many runs deleted in one request, as ``delete_run`` deletes them."""

import sys
import warnings

import pytest
from mlflow.entities import ViewType
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

from mlpipelines.mlflow_server_app import delete_runs
from mlpipelines.mlflow_server_keeper import with_app_plugin


def active_and_deleted(store, experiment_id):
    def names(view):
        return {run.info.run_name for run in store.search_runs([experiment_id], "", view, max_results=1000)}

    return names(ViewType.ACTIVE_ONLY), names(ViewType.DELETED_ONLY)


def new_runs(store, experiment_id, names):
    return [store.create_run(experiment_id, "user", 0, [], name).info.run_id for name in names]


@pytest.fixture
def sql_store(tmp_path):
    return SqlAlchemyStore(f"sqlite:///{tmp_path / 'mlflow.db'}", str(tmp_path / "artifacts"))


def test_a_sql_store_deletes_all_runs_in_one_session_and_names_the_runs_it_cannot_find(sql_store):
    experiment_id = sql_store.create_experiment("e")
    doomed = new_runs(sql_store, experiment_id, [f"failed {i}" for i in range(30)])
    new_runs(sql_store, experiment_id, ["kept"])

    deleted, failures = delete_runs(sql_store, [*doomed[:10], "no-such-run", *doomed[10:]])

    assert deleted == doomed
    assert [failure["run_id"] for failure in failures] == ["no-such-run"]
    assert "no-such-run" in failures[0]["message"]
    assert active_and_deleted(sql_store, experiment_id) == ({"kept"}, {f"failed {i}" for i in range(30)})
    # Deleted as delete_run deletes: restorable, with a deletion time (what `mlflow gc` goes by).
    run = sql_store.get_run(doomed[0])
    assert run.info.lifecycle_stage == "deleted"
    sql_store.restore_run(doomed[0])
    assert sql_store.get_run(doomed[0]).info.lifecycle_stage == "active"


def test_a_store_without_sql_sessions_deletes_run_by_run(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow's file store, kept for such users
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MLflow deprecates its file store
        from mlflow.store.tracking.file_store import FileStore

        store = FileStore(str(tmp_path / "mlruns"))
    experiment_id = store.create_experiment("e")
    doomed = new_runs(store, experiment_id, ["a", "b"])
    new_runs(store, experiment_id, ["kept"])

    deleted, failures = delete_runs(store, [doomed[0], "0123456789abcdef0123456789abcdef", doomed[1]])

    assert deleted == doomed
    assert [failure["run_id"] for failure in failures] == ["0123456789abcdef0123456789abcdef"]
    assert active_and_deleted(store, experiment_id) == ({"kept"}, {"a", "b"})


SERVER = [sys.executable, "-m", "mlflow", "server", "--port", "5000"]


def test_the_keeper_serves_mlflow_server_with_the_plugin_when_it_is_installed():
    # This interpreter has the project installed (pip install -e .), so the entry point is there.
    assert with_app_plugin(SERVER) == [*SERVER, "--app-name", "mlpipelines"]


@pytest.mark.parametrize(
    "command",
    [
        [*SERVER, "--app-name", "basic-auth"],
        [*SERVER, "--app-name=basic-auth"],
        [sys.executable, "-m", "http.server"],
        ["mlflow", "ui"],
    ],
)
def test_the_keeper_leaves_other_commands_and_a_chosen_app_alone(command):
    assert with_app_plugin(command) == command


def test_without_the_entry_point_the_keeper_runs_mlflows_own_app(monkeypatch):
    import importlib.metadata

    monkeypatch.setattr(importlib.metadata, "entry_points", lambda group: [])
    assert with_app_plugin(SERVER) == SERVER


def test_an_entry_point_whose_module_is_gone_is_not_used(monkeypatch):
    import importlib.metadata

    stale = importlib.metadata.EntryPoint("mlpipelines", "mlpipelines.no_such_module:create_app", "mlflow.app")
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda group: [stale])
    assert with_app_plugin(SERVER) == SERVER


@pytest.mark.parametrize(
    "body",
    [
        None,
        {"run_ids": "abc"},
        {"run_ids": [1, 2]},
        {"run_ids": [""]},
        {"runs": ["abc"]},
        {"run_ids": ["r"] * 1001},
    ],
    ids=["no-json", "not-a-list", "not-strings", "empty-id", "other-key", "too-many"],
)
def test_a_malformed_request_is_refused_with_what_was_expected(body, monkeypatch):
    monkeypatch.delenv("_MLFLOW_SGI_NAME", raising=False)  # the Flask app itself, as gunicorn serves it
    from mlpipelines.mlflow_server_app import ROUTE, create_app

    client = create_app().test_client()
    answer = client.post(ROUTE, json=body) if body is not None else client.post(ROUTE, data="x")
    assert answer.status_code == 400
    assert answer.get_json() == {
        "error_code": "INVALID_PARAMETER_VALUE",
        "message": "expected a JSON object with 'run_ids': a list of at most 1000 run ids",
    }
