"""A backend from outside the source tree, added exactly as the README says, with no edit to our code.

The throwaway JSONL backend (sources in ``outside_backend/``): its Java half is compiled here with
``javac`` against the built jars into a jar that lists its provider in
``META-INF/services/de.monticore.mlpipelines.tracking.TrackingBackendProvider``; its Python half
is a wheel whose ``entry_points.txt`` declares ``JSONL`` in the ``mlpipelines.trackers`` group,
installed with ``pip install --target`` into a temporary directory put on ``PYTHONPATH``. Then
``mlpipelines backends`` lists both halves, the contract tests (run in a pytest of their own with
both halves on the paths) take it as one more case and pass, and a real ``mlpipelines run``
writes through both halves into the same run directory.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from contract_checks import assert_every_per_backend_test_covers, run_contract_tests
from mlpipelines import bridge
from mlpipelines.tracking import ENTRY_POINT_GROUP

ROOT = Path(__file__).resolve().parents[2]
SOURCES = Path(__file__).resolve().parent / "outside_backend"
CONSOLE_SCRIPT = Path(sys.executable).parent / "mlpipelines"
JAVA_LAUNCHER = ROOT / "build" / "install" / "mlpipelines" / "bin" / "mlpipelines"
PROVIDER_SERVICE = "META-INF/services/de.monticore.mlpipelines.tracking.TrackingBackendProvider"
DISTRIBUTION = "mlpipelines_jsonl-0.1.0"


def build_java_half(directory: Path, classpath: list[str]) -> Path:
    """``javac`` against the generator's jars, then ``jar`` with the ServiceLoader file."""
    classes = directory / "classes"
    sources = sorted(str(source) for source in (SOURCES / "java").rglob("*.java"))
    subprocess.run(
        ["javac", "--release", "17", "-d", str(classes), "-cp", os.pathsep.join(classpath), *sources],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    service = classes / PROVIDER_SERVICE
    service.parent.mkdir(parents=True)
    service.write_text("org.example.jsonl.JsonlProvider\n", encoding="utf-8")
    jar = directory / "mlpipelines-jsonl.jar"
    subprocess.run(["jar", "--create", "--file", str(jar), "-C", str(classes), "."], check=True, timeout=120)
    return jar


def build_python_half(directory: Path) -> Path:
    """A wheel of ``mlpipelines_jsonl`` declaring the entry point, installed with pip into ``site``.

    Written with zipfile because setuptools here cannot build wheels offline (no ``wheel``);
    what pip installs from it is what any build backend would produce for the README's
    ``[project.entry-points."mlpipelines.trackers"] JSONL = "mlpipelines_jsonl:JsonlTracker"``.
    """
    dist_info = f"{DISTRIBUTION}.dist-info"
    files = {
        "mlpipelines_jsonl/__init__.py": (SOURCES / "python" / "mlpipelines_jsonl" / "__init__.py").read_bytes(),
        f"{dist_info}/METADATA": b"Metadata-Version: 2.1\nName: mlpipelines-jsonl\nVersion: 0.1.0\n",
        f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: contract\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{dist_info}/entry_points.txt": f"[{ENTRY_POINT_GROUP}]\nJSONL = mlpipelines_jsonl:JsonlTracker\n".encode(),
    }
    record = []
    for name, content in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(content)}")
    record.append(f"{dist_info}/RECORD,,")
    wheel = directory / f"{DISTRIBUTION}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
        archive.writestr(f"{dist_info}/RECORD", "\n".join(record) + "\n")
    site = directory / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--disable-pip-version-check",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return site


@pytest.fixture(scope="module")
def jsonl(tmp_path_factory):
    """Both halves built and installed in a temporary directory, and the environment that finds them."""
    directory = tmp_path_factory.mktemp("jsonl-backend")
    jar = build_java_half(directory, bridge.classpath())
    site = build_python_half(directory)
    env = {key: value for key, value in os.environ.items() if not key.startswith("MLFLOW_")}
    env.update(
        {
            "MLPIPELINES_EXTRA_CLASSPATH": str(jar),
            "PYTHONPATH": os.pathsep.join([str(ROOT / "python"), str(site)]),
            "MLPIPELINES_PYTHON": sys.executable,
        }
    )
    return SimpleNamespace(jar=jar, site=site, env=env)


def run_console_script(args: list[str], jsonl, cwd: Path, command=CONSOLE_SCRIPT) -> subprocess.CompletedProcess:
    return subprocess.run([str(command), *args], cwd=cwd, env=jsonl.env, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("command", [CONSOLE_SCRIPT, JAVA_LAUNCHER], ids=["console-script", "java-launcher"])
def test_backends_lists_both_halves(jsonl, tmp_path, command):
    result = run_console_script(["backends"], jsonl, tmp_path, command)
    assert result.returncode == 0, result.stderr
    assert (
        "JSONL\n"
        "  Java    org.example.jsonl.JsonlTracker\n"
        "          tracking.yaml: backends.jsonl.{dir}\n"
        "  Python  mlpipelines_jsonl.JsonlTracker\n"
        "          --jsonl_dir (str, default runs/jsonl): directory holding one sub-directory per run"
    ) in result.stdout
    assert "(none:" not in result.stdout


@pytest.mark.slow
def test_the_contract_tests_pass_with_the_outside_backend_installed(jsonl, tmp_path):
    """The contract tests, run with JSONL on both paths, take it as one more case, and it passes."""
    outcomes = run_contract_tests(ROOT, jsonl.env, tmp_path / "basetemp")
    assert_every_per_backend_test_covers(outcomes, "JSONL", like="CSV")


def test_a_real_run_writes_through_both_halves(jsonl, tmp_path):
    experiment = yaml.safe_load((ROOT / "examples" / "digits.yaml").read_text(encoding="utf-8"))
    training = experiment["training"]
    run_root = tmp_path / "runs" / "jsonl"
    tracking_file = tmp_path / "tracking.yaml"
    tracking_file.write_text(
        yaml.safe_dump(
            {
                "backends": {"stdout": {"experiment_name": "outside"}, "jsonl": {"dir": str(run_root)}},
                "tags": {"route": "outside the tree"},
            },
            sort_keys=False,
        ),
        encoding="utf-8",
    )

    result = run_console_script(
        [
            "run",
            str(ROOT / "examples" / "digits.yaml"),
            "--tracking",
            str(tracking_file),
            "--out",
            str(tmp_path / "out"),
        ],
        jsonl,
        tmp_path,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    assert sorted(path.name for path in run_root.iterdir()) == ["run_1"], "Python must write into Java's run"
    java_lines = [json.loads(line) for line in (run_root / "run_1" / "java.jsonl").read_text().splitlines()]
    assert java_lines[0] == {"kind": "run", "key": "status", "value": "RUNNING"}
    assert java_lines[-1] == {"kind": "run", "key": "status", "value": "FINISHED"}
    params = {line["key"]: line["value"] for line in java_lines if line["kind"] == "param"}
    assert params["epochs"] == str(training["epochs"])
    assert params["batch_size"] == str(training["batch_size"])
    assert params["learning_rate"] == repr(float(training["learning_rate"]))
    tags = {line["key"]: line["value"] for line in java_lines if line["kind"] == "tag"}
    assert tags["route"] == "outside the tree"

    metrics = [json.loads(line) for line in (run_root / "run_1" / "metrics.jsonl").read_text().splitlines()]
    examples = 1797 - round(1797 * training["validation_split"])
    steps_per_epoch = -(-examples // training["batch_size"])
    train_loss = [metric for metric in metrics if metric["key"] == "train_loss"]
    assert len(train_loss) == training["epochs"] * steps_per_epoch
    assert all(math.isfinite(metric["value"]) for metric in train_loss)
    val_accuracy = [metric["value"] for metric in metrics if metric["key"] == "val_accuracy"]
    assert len(val_accuracy) == training["epochs"] and val_accuracy[-1] > 0.5
    assert "[outside] epoch 3 step " in result.stdout  # STDOUT prints a line per epoch
