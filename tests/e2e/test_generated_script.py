"""End to end: what the installed launcher generates passes the project's ruff, and tracking can be off.

The scripts come from `mlpipelines generate` (the Gradle-built launcher) for both model types, names
that are hard to quote (quotes, newlines, non-ASCII, very long) and tracking on (every backend, long
paths) and off (no backend). Ruff runs with the repository's pyproject.toml, as `make lint` does.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
RUFF = Path(sys.executable).with_name("ruff")
TIMEOUT_SECONDS = 300

NAMES = {
    "plain": "digits",
    "quotes": 'quotes \' and " and """ triple \\ backslash',
    "non-ascii": "Ziffern für 数字 🔢 \u2013 ½ Ωmega \u00a0nbsp",
    "newline": "two\nlines\ttab",
    "long": "a very long experiment name " * 8,  # 224 characters; names may have up to 250
}


def experiment(name, model):
    """A one-epoch experiment of the given model type."""
    training = {"epochs": 1, "batch_size": 64, "learning_rate": 0.5, "seed": 3}
    spec = {"name": name, "model": {"type": model}, "dataset": "digits", "training": training}
    if model == "mlp":
        spec["model"].update({"hidden_sizes": [16, 8], "activation": "tanh"})
    return yaml.safe_dump(spec, allow_unicode=True)


def tracking_on(root, name):
    """Every built-in backend, with paths long enough to need wrapping."""
    deep = root / ("a-rather-long-directory-name-" * 4) / "below"
    return yaml.safe_dump(
        {
            "backends": {
                "stdout": {"experiment_name": name},
                "mlflow": {"experiment_name": name, "tracking_uri": f"sqlite:///{deep}/mlflow.db"},
                "csv": {"dir": str(deep / "csv")},
                "tensorboard": {"log_dir": str(deep / "tb")},
            }
        },
        allow_unicode=True,
    )


def launcher_env():
    env = {key: value for key, value in os.environ.items() if not key.startswith("MLFLOW_")}
    env["MLPIPELINES_PYTHON"] = sys.executable
    return env


def run(command, cwd, **kwargs):
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=launcher_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        **kwargs,
    )


def generate(launcher, root, name, model, tracking_yaml):
    (root / "experiment.yaml").write_text(experiment(name, model), encoding="utf-8")
    (root / "tracking.yaml").write_text(tracking_yaml, encoding="utf-8")
    command = [launcher, "generate", "experiment.yaml", "--tracking", "tracking.yaml", "--out", "out"]
    generated = run(command, root)
    assert generated.returncode == 0, generated.stdout + generated.stderr
    scripts = list((root / "out").glob("*/train.py"))
    assert len(scripts) == 1, scripts
    return scripts[0]


@pytest.mark.parametrize("tracking", ["on", "off"])
@pytest.mark.parametrize("model", ["mlp", "softmax_regression"])
@pytest.mark.parametrize("name", list(NAMES.values()), ids=list(NAMES))
def test_generated_scripts_pass_ruff_check_and_format(launcher, tmp_path, name, model, tracking):
    tracking_yaml = tracking_on(tmp_path, name) if tracking == "on" else "backends: {}\n"
    script = generate(launcher, tmp_path, name, model, tracking_yaml)
    config = ROOT / "pyproject.toml"

    # From the repository root, as `make lint` runs: ruff resolves the config's `src` against it.
    check = run([RUFF, "check", "--no-cache", "--config", config, script], ROOT)
    assert check.returncode == 0, check.stdout + check.stderr
    formatted = run([RUFF, "format", "--check", "--diff", "--no-cache", "--config", config, script], ROOT)
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr

    # Lint-clean and still exactly the name: the script's constant reads back as the experiment's name.
    read_back = run(
        [sys.executable, "-c", "import json, train; print(json.dumps(train.EXPERIMENT_NAME))"], script.parent
    )
    assert read_back.returncode == 0, read_back.stderr
    assert json.loads(read_back.stdout) == name


@pytest.mark.parametrize("tracking_yaml", ["backends: {}\n", "tags: {team: vision}\n"], ids=["empty", "no-key"])
def test_a_tracking_yaml_without_backends_trains_and_records_nothing(launcher, tmp_path, tracking_yaml):
    (tmp_path / "experiment.yaml").write_text(experiment("untracked", "softmax_regression"), encoding="utf-8")
    (tmp_path / "tracking.yaml").write_text(tracking_yaml, encoding="utf-8")

    checked = run([launcher, "check-config", "tracking.yaml"], tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "tracking is off: no backend is enabled" in checked.stdout, checked.stdout

    result = run([launcher, "run", "experiment.yaml", "--tracking", "tracking.yaml", "--out", "out"], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "epoch 1/1 (step " in result.stdout, "the script trained:\n" + result.stdout
    assert "val_accuracy" in result.stdout
    summary = result.stdout[result.stdout.index("== summary") :]
    assert "tracking:   off (no backend is enabled; nothing was recorded)" in summary, summary
    assert "status:     FINISHED" in summary, summary
    assert "run:" not in summary and "MLflow" not in summary and "CSV" not in summary, summary
    assert "[tracking]" not in result.stdout, "the Java STDOUT backend printed nothing"
    assert "tracking experiment" not in result.stdout, "the Python STDOUT backend printed nothing"

    # Only the generated run directory: no runs/, no MLflow store, no spool, no tracking files anywhere.
    assert sorted(path.name for path in tmp_path.iterdir()) == ["experiment.yaml", "out", "tracking.yaml"]
    written = [path.relative_to(tmp_path / "out").parts for path in (tmp_path / "out").rglob("*") if path.is_file()]
    assert written and all(parts[:2] == ("_runs", "untracked") for parts in written), written
    # Beside the script: its runtime and the trained weights (model.npz), which the training keeps tracked or not.
    kept = ("train.py", "requirements.txt", "mlpipelines", "model.npz")
    assert not [parts for parts in written if parts[3] not in kept], written
