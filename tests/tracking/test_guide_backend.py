"""A backend written as the MontiCore guide describes it works like a built-in.

The guide's Python route: subclass ``RunTracker``, implement only ``log_metric``, and take the
namespace of all command-line arguments in the constructor.
"""

import argparse

import pytest

from mlpipelines.tracking import (
    MultiBackendTracker,
    RunTracker,
    build_parser,
    option,
    register_tracker,
    tracking_options,
    unregister_tracker,
)


class MyTracker(RunTracker):
    """Appends ``key value step`` lines to the file named by ``--mytracker_uri``."""

    def __init__(self, args):
        self.uri = args.mytracker_uri

    def log_metric(self, key, value, timestamp=None, step=None):
        with open(self.uri, "a", encoding="utf-8") as out:
            out.write(f"{key} {value!r} {type(value).__name__} {step} {type(timestamp).__name__}\n")


@tracking_options
class DeclaredOptions:
    declared_uri: str = option("where the metric lines go", default="declared.txt")


class DeclaredTracker(RunTracker):
    """The guide's constructor, but the option is declared so that the parser knows it."""

    options_class = DeclaredOptions
    receives_namespace = True

    def __init__(self, args):
        self.uri = args.declared_uri
        self.namespace = args

    def log_metric(self, key, value, timestamp=None, step=None):
        with open(self.uri, "a", encoding="utf-8") as out:
            out.write(f"{key} {value} {step}\n")


@pytest.fixture
def guide_backends():
    register_tracker("MYTRACKER", MyTracker)
    register_tracker("DECLARED", DeclaredTracker)
    yield
    unregister_tracker("MYTRACKER")
    unregister_tracker("DECLARED")


def test_guide_backend_is_registered_parsed_logged_and_closed(guide_backends, tmp_path, capsys):
    metrics_file = tmp_path / "metrics.txt"
    parser = build_parser()
    parser.add_argument("--mytracker_uri")  # the guide's backend declares no options: the script adds it
    args = parser.parse_args(["--tracking_backends", "stdout,mytracker", "--mytracker_uri", str(metrics_file)])
    assert args.tracking_backends == ("STDOUT", "MYTRACKER")

    with MultiBackendTracker(args) as tracker:
        tracker.log_metric("loss", 1, step=1)
        tracker.log_metrics({"acc": 0.9, "loss": 0.5}, step=2, timestamp=1_700_000_000_000)
        tracker.log_params({"lr": 0.1})  # the guide's backend has no params: harmlessly ignored

    # Values arrive validated: ints as floats, step and timestamp filled in.
    assert metrics_file.read_text().splitlines() == [
        "loss 1.0 float 1 int",
        "acc 0.9 float 2 int",
        "loss 0.5 float 2 int",
    ]
    assert "mlpipelines.tracking: MYTRACKER: sent 3, retried 0, spooled 0, dropped 0" in capsys.readouterr().err


def test_guide_backend_used_on_its_own_routes_log_metrics_to_log_metric(tmp_path):
    metrics_file = tmp_path / "metrics.txt"
    tracker = MyTracker(argparse.Namespace(mytracker_uri=str(metrics_file)))
    tracker.log_metrics({"acc": 0.75}, step=3)
    assert metrics_file.read_text() == "acc 0.75 float 3 int\n"


def test_receives_namespace_gets_all_arguments_while_the_parser_knows_the_declared_options(guide_backends, tmp_path):
    metrics_file = tmp_path / "declared.txt"
    parser = build_parser()
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args(["--tracking_backends", "DECLARED", "--declared_uri", str(metrics_file)])
    tracker = MultiBackendTracker(args)
    [(name, backend)] = tracker.backends
    assert name == "DECLARED"
    assert backend.namespace is args
    assert backend.namespace.epochs == 3
    tracker.log_metric("loss", 0.25, step=4)
    tracker.close()
    assert metrics_file.read_text() == "loss 0.25 4\n"


def test_a_backend_without_any_metric_method_stays_abstract():
    class NoMetrics(RunTracker):
        def __init__(self, args):
            pass

    with pytest.raises(TypeError, match="abstract"):
        NoMetrics(argparse.Namespace())


def test_backends_listing_shows_a_guide_backend_without_options(guide_backends):
    from mlpipelines.backends import describe

    listed = {backend["name"]: backend for backend in describe()}
    assert listed["MYTRACKER"]["options"] == []
    assert [option["flag"] for option in listed["DECLARED"]["options"]] == ["--declared_uri"]
