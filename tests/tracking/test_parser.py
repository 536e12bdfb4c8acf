"""build_parser(): the options of every backend, as the Java side passes them."""

import json
import subprocess

import pytest

from mlpipelines.tracking import build_parser, parse_backend_names, registered_trackers
from tracking_helpers import PYTHON, subprocess_env

PRINT_ARGS = """
import json, sys
from mlpipelines.tracking import build_parser
args = build_parser().parse_args(sys.argv[1:])
print(json.dumps(vars(args), ensure_ascii=False))
"""


def run_parser(*argv):
    return subprocess.run(
        [PYTHON, "-c", PRINT_ARGS, *argv],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=subprocess_env(PYTHONIOENCODING="utf-8"),
    )


def test_values_arrive_byte_for_byte_through_argv():
    tricky = {
        "stdout_experiment_name": "digits with spaces \"double\" and 'single' quotes",
        "mlflow_experiment_name": "Größe – 実験 😀",  # noqa: RUF001 (the en dash is the point: non-ASCII via argv)
        "csv_dir": "/tmp/a dir/with\nnewline and $HOME `x`",
        "tensorboard_log_dir": "",
    }
    argv = ["--tracking_backends", "stdout,csv"]
    for key, value in sorted(tricky.items()):
        argv += [f"--{key}", value]
    result = run_parser(*argv)
    assert result.returncode == 0, result.stderr
    parsed = json.loads(result.stdout)
    for key, value in tricky.items():
        assert parsed[key] == value
    assert parsed["tracking_backends"] == ["STDOUT", "CSV"]


def test_a_value_starting_with_a_dash_needs_the_equals_form():
    result = run_parser("--mlflow_experiment_name=--not an option", "--csv_dir=-x")
    assert result.returncode == 0, result.stderr
    parsed = json.loads(result.stdout)
    assert (parsed["mlflow_experiment_name"], parsed["csv_dir"]) == ("--not an option", "-x")


def test_every_backend_option_has_a_default(monkeypatch):
    # The tracking URI's default follows MLFLOW_TRACKING_URI, which MLflow's own set_tracking_uri sets.
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    args = build_parser().parse_args([])
    assert args.tracking_backends == ("STDOUT",)
    assert args.stdout_experiment_name == "default"
    assert args.mlflow_tracking_uri == "sqlite:///mlflow.db"
    assert args.mlflow_run_id is None and args.mlflow_experiment_id is None
    assert args.mlflow_experiment_name == "default"
    assert args.mlflow_spool_dir == "mlflow-spool"
    assert (args.csv_dir, args.csv_run_name) == ("runs/csv", None)
    assert (args.tensorboard_log_dir, args.tensorboard_run_name) == ("runs/tb", None)


def test_tracking_uri_default_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5999")
    assert build_parser().parse_args([]).mlflow_tracking_uri == "http://127.0.0.1:5999"


def test_backend_names_are_case_insensitive_and_deduplicated():
    args = build_parser().parse_args(["--tracking_backends", " mlflow,Csv,STDOUT,csv "])
    assert args.tracking_backends == ("MLFLOW", "CSV", "STDOUT")


def test_caller_extends_the_parser():
    parser = build_parser(description="train")
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args(["--epochs", "7", "--csv_dir", "out"])
    assert (args.epochs, args.csv_dir) == (7, "out")


def test_unknown_option_exits_2_naming_it():
    result = run_parser("--csv_directory", "x")
    assert result.returncode == 2
    assert "unrecognized arguments: --csv_directory x" in result.stderr


def test_unknown_backend_exits_2_listing_the_registered_ones():
    result = run_parser("--tracking_backends", "STDOUT,NOPE")
    assert result.returncode == 2
    assert "unknown tracking backend 'NOPE'" in result.stderr
    assert f"registered backends: {', '.join(registered_trackers())}" in result.stderr


@pytest.mark.parametrize("argv", [["--tracking_backends="], ["--tracking_backends", " , "]])
def test_empty_backend_list_turns_tracking_off(argv):
    assert build_parser().parse_args(argv).tracking_backends == ()


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (None, ("STDOUT",)),
        ("", ()),
        ((), ()),
        ([], ()),
        ("csv, Mlflow ,csv", ("CSV", "MLFLOW")),
        (("stdout", "CSV", "Stdout"), ("STDOUT", "CSV")),
    ],
)
def test_parse_backend_names_takes_strings_and_sequences(names, expected):
    assert parse_backend_names(names) == expected


def test_option_names_follow_the_contract():
    actions = {option for action in build_parser()._actions for option in action.option_strings}
    for name, cls in registered_trackers().items():
        for field in cls.options_class.__dataclass_fields__:
            assert field.startswith(name.lower() + "_")
            assert f"--{field}" in actions
