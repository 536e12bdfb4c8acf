"""What the WANDB, COMET and DVCLIVE backends share: a missing library, the mode rule, Java's hand-off."""

import csv
import subprocess
import textwrap

import pytest

from mlpipelines.tracking import TrackingError
from mlpipelines.tracking.handoff import resolve_mode
from tracking_helpers import PYTHON, subprocess_env

LIBRARIES = {
    "WANDB": ("wandb", "wandb>=0.20"),
    "COMET": ("comet_ml", "comet_ml>=3.40"),
    "DVCLIVE": ("dvclive", "dvclive>=3.40"),
}

# sys.modules[name] = None is how Python marks a module as not importable: find_spec then finds nothing.
WITHOUT_LIBRARY = textwrap.dedent("""
    import sys
    sys.modules[sys.argv[1]] = None
    from mlpipelines.tracking import MultiBackendTracker, build_parser

    with MultiBackendTracker(build_parser().parse_args(sys.argv[2:])) as tracker:
        for step in range(3):
            tracker.log_metrics({"loss": 1.0 / (step + 1), "acc": 0.5}, step=step)
    """)


@pytest.mark.parametrize("name", sorted(LIBRARIES))
def test_a_backend_without_its_library_names_the_pip_requirement_and_the_others_run(name, tmp_path):
    module, requirement = LIBRARIES[name]
    result = subprocess.run(
        [PYTHON, "-c", WITHOUT_LIBRARY, module, f"--tracking_backends=CSV,{name}", f"--csv_dir={tmp_path / 'csv'}",
         f"--{name.lower()}_dir={tmp_path / name.lower()}"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=subprocess_env(),
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr.count(f"the {name} backend needs {module}: pip install '{requirement}'") == 2, result.stderr
    assert f"mlpipelines.tracking: {name}: sent 0, retried 0, spooled 0, dropped 6" in result.stderr
    with open(tmp_path / "csv" / "run_1" / "metrics.csv", newline="") as rows:
        assert len(list(csv.DictReader(rows))) == 6


@pytest.mark.parametrize(
    "configured, environ, expected",
    [
        ("auto", {}, "offline"),
        ("auto", {"KEY": "  "}, "offline"),
        ("AUTO", {"KEY": "k"}, "online"),
        ("offline", {"KEY": "k"}, "offline"),
        ("Online", {"KEY": "k"}, "online"),
    ],
)
def test_the_mode_is_online_exactly_when_the_credential_is_set(configured, environ, expected):
    assert resolve_mode("X", configured, "KEY", environ) == expected


def test_a_mode_that_cannot_be_used_is_an_error_naming_the_variable_or_the_choices():
    with pytest.raises(TrackingError, match="X: mode online needs KEY in the environment"):
        resolve_mode("X", "online", "KEY", {})
    with pytest.raises(TrackingError, match="X: mode 'sometimes' is not a mode; expected one of auto, offline, online"):
        resolve_mode("X", "sometimes", "KEY", {})
