"""The runtime copied next to a generated script works with only PyYAML and argparse-dataclass."""

import shutil
import subprocess
import textwrap

import argparse_dataclass
import yaml

from tracking_helpers import PYTHON, PYTHON_SOURCE

VENDORED_SCRIPT = textwrap.dedent("""
    import sys
    from mlpipelines.tracking import MultiBackendTracker, TrackingError, build_parser

    heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("mlflow", "numpy", "tensorboard", "tensorboardX"))
    foreign = sorted(m for m in sys.modules
                     if m.startswith("mlpipelines.") and not m.startswith("mlpipelines.tracking"))
    print("imported:", heavy, foreign)
    args = build_parser().parse_args(["--tracking_backends", "STDOUT,CSV",
                                      "--csv_dir", sys.argv[1]])
    with MultiBackendTracker(args) as tracker:
        tracker.log_metrics({"loss": 0.5}, step=1)
    for backend in ("MLFLOW", "TENSORBOARD"):
        try:
            MultiBackendTracker(build_parser().parse_args(["--tracking_backends", backend]))
        except TrackingError as error:
            print(error)
    """)


def test_vendored_copy_runs_stdout_and_csv_without_optional_libraries(tmp_path):
    vendor = tmp_path / "generated"
    shutil.copytree(
        PYTHON_SOURCE / "mlpipelines" / "tracking",
        vendor / "mlpipelines" / "tracking",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    (vendor / "mlpipelines" / "__init__.py").write_text("")
    # Only the two required libraries; no site-packages (python -S), so mlflow etc. are absent.
    libraries = tmp_path / "libraries"
    libraries.mkdir()
    shutil.copy(argparse_dataclass.__file__, libraries)
    shutil.copytree(shutil.os.path.dirname(yaml.__file__), libraries / "yaml")
    result = subprocess.run(
        [PYTHON, "-S", "-c", VENDORED_SCRIPT, str(tmp_path / "csv")],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": f"{vendor}:{libraries}", "PATH": "/usr/bin:/bin"},
        cwd=vendor,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "imported: [] []"
    assert "[default] at close: loss=0.5 since step 1" in lines  # no epoch metric: summarised, printed at close
    assert "the MLFLOW backend needs mlflow: pip install 'mlflow>=2.12'" in lines
    assert "the TENSORBOARD backend needs tensorboard: pip install 'tensorboard>=2.15' 'crc32c>=2.3'" in lines
    rows = (tmp_path / "csv" / "run_1" / "metrics.csv").read_text().splitlines()
    assert rows[1].endswith(",loss,0.5")
