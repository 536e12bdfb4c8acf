"""Bad input is refused before anything is written, with the same message through both front doors.

Every case runs through the Java launcher and through the Python console script, each a real process
started in a fresh working directory that holds only the inputs, so that every relative default
(``mlflow.db``, ``mlflow-spool/``, ``runs/``, ``build/generated/``) would land there. Each asserts the
exit code, the whole message (file, key path, what was expected) and that the directory holds exactly
what it held before: no output directory, no store, no spool, no partial file.

The tables are the cases; ``TRACKING_CASES`` also join the in-process two-language check of
``test_java_python_contract.py`` (``BAD_CONFIGS``), which compares the Python ``ConfigError``'s key path.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bad_inputs import BAD_REFERENCE, TRACKING_CASES, quote_it

ROOT = Path(__file__).resolve().parents[2]
JAVA_LAUNCHER = ROOT / "build" / "install" / "mlpipelines" / "bin" / "mlpipelines"
CONSOLE_SCRIPT = Path(sys.executable).parent / "mlpipelines"
FRONT_DOORS = {"java-launcher": JAVA_LAUNCHER, "console-script": CONSOLE_SCRIPT}
UNSET = "MLPIPELINES_BAD_INPUT_TEST_UNSET"

GOOD_EXPERIMENT = (ROOT / "examples" / "digits.yaml").read_text(encoding="utf-8")


def experiment_with(old: str, new: str) -> str:
    assert old in GOOD_EXPERIMENT, old
    return GOOD_EXPERIMENT.replace(old, new, 1)


def unquoted(value: str, expected: str) -> str:
    return f"'{value}' is a string; expected {expected} (write it without quotes)"


# (id, experiment.yaml text, key path, what is wrong)
EXPERIMENT_CASES = [
    ("epochs-quoted", experiment_with("epochs: 3", 'epochs: "3"'), "training.epochs", unquoted("3", "a number")),
    (
        "batch-size-quoted",
        experiment_with("batch_size: 32", "batch_size: '32'"),
        "training.batch_size",
        unquoted("32", "a number"),
    ),
    (
        "learning-rate-quoted",
        experiment_with("learning_rate: 0.1", 'learning_rate: "0.1"'),
        "training.learning_rate",
        unquoted("0.1", "a number"),
    ),
    ("seed-quoted", experiment_with("seed: 42", 'seed: "42"'), "training.seed", unquoted("42", "a number")),
    (
        "validation-split-quoted",
        experiment_with("validation_split: 0.2", 'validation_split: "0.2"'),
        "training.validation_split",
        unquoted("0.2", "a fraction from 0 up to, not including, 1"),
    ),
    (
        "hidden-size-quoted",
        experiment_with("hidden_sizes: [64]", 'hidden_sizes: ["64"]'),
        "model.hidden_sizes[0]",
        unquoted("64", "a whole number from 1 to 100000"),
    ),
    (
        "hidden-sizes-a-string",
        experiment_with("hidden_sizes: [64]", 'hidden_sizes: "64,32"'),
        "model.hidden_sizes",
        "expected a list of numbers, got a string",
    ),
    (
        "hidden-size-zero",
        experiment_with("hidden_sizes: [64]", "hidden_sizes: [8, 0]"),
        "model.hidden_sizes[1]",
        "0 is out of range; expected an integer from 1 to 100000",
    ),
    (
        "epochs-boolean",
        experiment_with("epochs: 3", "epochs: yes"),
        "training.epochs",
        "expected a number, got a boolean (true)",
    ),
    (
        "epochs-float",
        experiment_with("epochs: 3", "epochs: 3.0"),
        "training.epochs",
        "'3.0' is not a whole number; expected an integer from 1 to 100000",
    ),
    (
        "epochs-too-many",
        experiment_with("epochs: 3", "epochs: 100001"),
        "training.epochs",
        "100001 is out of range; expected an integer from 1 to 100000",
    ),
    (
        "epochs-negative",
        experiment_with("epochs: 3", "epochs: -1"),
        "training.epochs",
        "-1 is out of range; expected an integer from 1 to 100000",
    ),
    ("epochs-a-list", experiment_with("epochs: 3", "epochs: [3]"), "training.epochs", "expected a number, got a list"),
    (
        "batch-size-zero",
        experiment_with("batch_size: 32", "batch_size: 0"),
        "training.batch_size",
        "0 is out of range; expected an integer from 1 to 100000",
    ),
    (
        "learning-rate-negative",
        experiment_with("learning_rate: 0.1", "learning_rate: -0.1"),
        "training.learning_rate",
        "is -0.1; expected a number greater than 0",
    ),
    (
        "learning-rate-nan",
        experiment_with("learning_rate: 0.1", "learning_rate: .nan"),
        "training.learning_rate",
        "'NaN' is not a finite decimal number; expected e.g. 0.1",
    ),
    (
        "learning-rate-word",
        experiment_with("learning_rate: 0.1", "learning_rate: fast"),
        "training.learning_rate",
        "'fast' is a string; expected a number",
    ),
    (
        "validation-split-negative",
        experiment_with("validation_split: 0.2", "validation_split: -0.1"),
        "training.validation_split",
        "is -0.1; expected a fraction from 0 (no validation) up to, not including, 1",
    ),
    (
        "seed-too-large",
        experiment_with("seed: 42", "seed: 4294967296"),
        "training.seed",
        "4294967296 is out of range; expected an integer from 0 to 4294967295",
    ),
    ("name-number", experiment_with("name: digits", "name: 5"), "name", quote_it("5")),
    ("name-boolean", experiment_with("name: digits", "name: no"), "name", quote_it("false", "a boolean")),
    ("name-empty-reference", experiment_with("name: digits", "name: 'run-${}'"), "name", f"'${{}}' {BAD_REFERENCE}"),
    (
        "name-too-long",
        experiment_with("name: digits", "name: " + "n" * 251),
        "name",
        "is 251 characters long; expected at most 250",
    ),
    ("dataset-number", experiment_with("dataset: digits", "dataset: 7"), "dataset", quote_it("7")),
    (
        "dataset-unknown",
        experiment_with("dataset: digits", "dataset: mnist"),
        "dataset",
        "'mnist' is not a data set; expected one of digits",
    ),
    ("model-type-number", experiment_with("type: mlp", "type: 1"), "model.type", quote_it("1")),
    ("activation-number", experiment_with("activation: relu", "activation: 0"), "model.activation", quote_it("0")),
    (
        "model-a-string",
        GOOD_EXPERIMENT.split("model:")[0] + "model: mlp\ndataset: digits\ntraining:\n  epochs: 3\n",
        "model",
        "expected a mapping, got a string",
    ),
    (
        "training-a-list",
        GOOD_EXPERIMENT.split("training:")[0] + "training: [3]\n",
        "training",
        "expected a mapping, got a list",
    ),
    (
        "training-key-misspelt",
        experiment_with("epochs: 3", "epoch: 3"),
        "training.epoch",
        "unknown key; expected one of batch_size, epochs, learning_rate, seed, validation_split; did you mean 'epochs'?",
    ),
    (
        "model-key-misspelt",
        experiment_with("activation: relu", "activaton: relu"),
        "model.activaton",
        "unknown key; expected one of activation, hidden_sizes, type; did you mean 'activation'?",
    ),
    (
        "top-level-key-misspelt",
        experiment_with("training:", "trainig:"),
        "trainig",
        "unknown key; expected one of dataset, framework, model, name, sweep, training; did you mean 'training'?",
    ),
]


def run_front_door(door: str, args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key != UNSET}
    environment.update(env)
    return subprocess.run(
        [str(FRONT_DOORS[door]), *args], cwd=cwd, capture_output=True, text=True, timeout=120, env=environment
    )


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every path below ``directory`` with its content (directories as b"<dir>")."""
    return {
        str(path.relative_to(directory)): b"<dir>" if path.is_dir() else path.read_bytes()
        for path in sorted(directory.rglob("*"))
    }


@pytest.fixture(params=list(FRONT_DOORS))
def door(request) -> str:
    if not FRONT_DOORS[request.param].exists():
        pytest.fail(f"{FRONT_DOORS[request.param]} is missing: run `make setup`")
    return request.param


@pytest.fixture
def workdir(tmp_path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    return work


def assert_refused(result: subprocess.CompletedProcess, message: str, before: dict[str, bytes], work: Path) -> None:
    assert (result.returncode, result.stdout, result.stderr) == (2, "", message)
    assert snapshot(work) == before, "something was written"


@pytest.mark.parametrize(
    "text, key_path, problem", [case[1:] for case in TRACKING_CASES], ids=[c[0] for c in TRACKING_CASES]
)
def test_a_bad_tracking_file_is_refused_by_run_before_anything_is_written(door, workdir, text, key_path, problem):
    (workdir / "tracking.yaml").write_text(text, encoding="utf-8")
    (workdir / "digits.yaml").write_text(GOOD_EXPERIMENT, encoding="utf-8")
    before = snapshot(workdir)
    for command in ("run", "generate"):
        result = run_front_door(door, [command, "digits.yaml", "--tracking", "tracking.yaml", "--out", "out"], workdir)
        assert_refused(result, f"mlpipelines: tracking.yaml: {key_path}: {problem}\n", before, workdir)
        assert "hunter2" not in result.stderr
    checked = run_front_door(door, ["check-config", "tracking.yaml"], workdir)
    assert_refused(checked, f"mlpipelines: tracking.yaml: {key_path}: {problem}\n", before, workdir)


@pytest.mark.parametrize(
    "text, key_path, problem", [c[1:] for c in EXPERIMENT_CASES], ids=[c[0] for c in EXPERIMENT_CASES]
)
def test_a_bad_experiment_file_is_refused_before_anything_is_written(door, workdir, text, key_path, problem):
    (workdir / "experiment.yaml").write_text(text, encoding="utf-8")
    before = snapshot(workdir)
    for command in ("run", "generate"):
        result = run_front_door(door, [command, "experiment.yaml", "--out", "out"], workdir)
        assert_refused(result, f"mlpipelines: experiment.yaml: {key_path}: {problem}\n", before, workdir)


RUN_USAGE = (
    "usage: mlpipelines run EXPERIMENT.yaml [--tracking TRACKING.yaml] [--out DIR] [--set KEY.PATH=VALUE]... "
    "[--processes N] [--json FILE]\n"
)
REPLAY_USAGE = "usage: mlpipelines replay SPOOL_DIR [--tracking_uri URI]\n"
CHECK_USAGE = "usage: mlpipelines check-config TRACKING.yaml\n"
SET_KEYS = (
    "expected one of name, model.type, model.hidden_sizes, model.activation, dataset, training.epochs, "
    "training.batch_size, training.learning_rate, training.seed, training.validation_split, framework, "
    "training.optimizer, training.momentum, training.weight_decay, training.grad_clip_norm, training.lr_schedule, "
    "training.early_stopping.monitor, training.early_stopping.patience, model.layers, distributed.processes"
)
COMMANDS = "expected one of run, generate, check-config, backends, replay, sweep, ui, report"
RUN_OPTIONS = "expected --tracking, --out, --processes, --json or --set"

# (id, arguments, the whole of stderr); digits.yaml, tracking.yaml and spool/ exist in the working directory.
COMMAND_LINE_CASES = [
    (
        "command-misspelt",
        ["chek-config", "tracking.yaml"],
        f"mlpipelines: unknown command 'chek-config'; {COMMANDS}; did you mean 'check-config'?\n",
    ),
    ("command-short", ["rn", "digits.yaml"], f"mlpipelines: unknown command 'rn'; {COMMANDS}; did you mean 'run'?\n"),
    ("command-far-off", ["train", "digits.yaml"], f"mlpipelines: unknown command 'train'; {COMMANDS}\n"),
    ("run-without-experiment", ["run"], "mlpipelines run: expected the experiment file\n" + RUN_USAGE),
    (
        "run-option-misspelt",
        ["run", "digits.yaml", "--trackin", "tracking.yaml"],
        f"mlpipelines run: unknown option '--trackin'; {RUN_OPTIONS}; did you mean '--tracking'?\n" + RUN_USAGE,
    ),
    (
        "run-processes-misspelt",
        ["run", "digits.yaml", "--proceses", "2"],
        f"mlpipelines run: unknown option '--proceses'; {RUN_OPTIONS}; did you mean '--processes'?\n" + RUN_USAGE,
    ),
    ("run-out-without-value", ["run", "digits.yaml", "--out"], "mlpipelines run: --out needs a value\n" + RUN_USAGE),
    ("run-empty-out", ["run", "digits.yaml", "--out="], "mlpipelines run: --out needs a non-empty value\n" + RUN_USAGE),
    (
        "run-set-without-equals",
        ["run", "digits.yaml", "--set", "training.epochs"],
        "mlpipelines run: --set needs KEY.PATH=VALUE, e.g. --set training.epochs=5; got 'training.epochs'\n"
        + RUN_USAGE,
    ),
    (
        "run-set-without-key",
        ["run", "digits.yaml", "--set", "=5"],
        "mlpipelines run: --set needs KEY.PATH=VALUE, e.g. --set training.epochs=5; got '=5'\n" + RUN_USAGE,
    ),
    (
        "run-set-key-misspelt",
        ["run", "digits.yaml", "--set", "training.epoch=5"],
        f"mlpipelines: digits.yaml: training.epoch: unknown key path given to --set; {SET_KEYS}; did you mean 'training.epochs'?\n",
    ),
    (
        "run-set-quoted-number",
        ["run", "digits.yaml", "--set", "training.epochs='5'"],
        f"mlpipelines: digits.yaml: training.epochs: {unquoted('5', 'a number')}\n",
    ),
    ("run-set-invalid-yaml", ["run", "digits.yaml", "--set", "model.hidden_sizes=[8"], None),
    (
        "run-two-experiments",
        ["run", "digits.yaml", "tracking.yaml"],
        "mlpipelines run: unexpected argument 'tracking.yaml'; expected one experiment file\n" + RUN_USAGE,
    ),
    ("run-missing-experiment", ["run", "missing.yaml"], "mlpipelines: missing.yaml: no such file\n"),
    ("run-experiment-a-directory", ["run", "spool"], "mlpipelines: spool: is a directory; expected a YAML file\n"),
    (
        "generate-missing-tracking",
        ["generate", "digits.yaml", "--tracking", "missing.yaml"],
        "mlpipelines: missing.yaml: no such file\n",
    ),
    (
        "check-config-without-file",
        ["check-config"],
        "mlpipelines check-config: expected exactly one argument, the tracking file\n" + CHECK_USAGE,
    ),
    (
        "backends-with-argument",
        ["backends", "csv"],
        "mlpipelines backends: takes no arguments\nusage: mlpipelines backends\n",
    ),
    (
        "replay-without-spool",
        ["replay"],
        "mlpipelines replay: expected exactly one argument, the spool directory (or one spool file)\n" + REPLAY_USAGE,
    ),
    (
        "replay-missing-spool",
        ["replay", "nowhere"],
        "mlpipelines: nowhere: no such file or directory; expected the spool directory named in the training script's closing message\n",
    ),
    (
        "replay-option-misspelt",
        ["replay", "spool", "--tracking_url", "http://h"],
        "mlpipelines replay: unknown option '--tracking_url'; expected --tracking_uri; did you mean '--tracking_uri'?\n"
        + REPLAY_USAGE,
    ),
    (
        "replay-uri-without-value",
        ["replay", "spool", "--tracking_uri"],
        "mlpipelines replay: --tracking_uri needs a value\n" + REPLAY_USAGE,
    ),
    (
        "replay-uri-with-credentials",
        ["replay", "spool", "--tracking_uri=http://ana:hunter2@h"],
        "mlpipelines replay: --tracking_uri holds credentials (USER:PASSWORD@), which must not travel on a command line; set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, or MLFLOW_TRACKING_TOKEN, in the environment\n"
        + REPLAY_USAGE,
    ),
    (
        "replay-two-spools",
        ["replay", "spool", "spool"],
        "mlpipelines replay: unexpected argument 'spool'; expected one spool directory\n" + REPLAY_USAGE,
    ),
]


@pytest.mark.parametrize("args, message", [c[1:] for c in COMMAND_LINE_CASES], ids=[c[0] for c in COMMAND_LINE_CASES])
def test_a_bad_command_line_is_refused_before_anything_is_written(door, workdir, args, message):
    (workdir / "digits.yaml").write_text(GOOD_EXPERIMENT, encoding="utf-8")
    (workdir / "tracking.yaml").write_text("backends:\n  csv:\n", encoding="utf-8")
    (workdir / "spool").mkdir()
    before = snapshot(workdir)
    result = run_front_door(door, args, workdir)
    if message is None:  # SnakeYAML's own wording of the syntax error; the frame around it is ours
        assert result.stderr.startswith(
            "mlpipelines: digits.yaml: model.hidden_sizes: the --set value '[8' is not valid YAML: "
        )
        assert result.stderr.endswith("; expected a scalar such as 0.1 or a flow list such as [16, 8]\n")
        message = result.stderr
    assert_refused(result, message, before, workdir)
    assert "hunter2" not in result.stderr


def test_every_command_answers_help_on_both_front_doors(door, workdir):
    """Generic in cli/Main: a command added later gets --help without code of its own."""
    names = run_front_door(door, ["--help"], workdir)
    assert names.returncode == 0
    usages = [line.strip()[len("mlpipelines ") :] for line in names.stdout.splitlines()[1:]]
    assert [usage.split()[0] for usage in usages] == [
        "run",
        "generate",
        "check-config",
        "backends",
        "replay",
        "sweep",
        "ui",
        "report",
    ]
    for usage in usages:
        for flag in ("--help", "-h"):
            result = run_front_door(door, [usage.split()[0], flag], workdir)
            assert (result.returncode, result.stdout, result.stderr) == (0, f"usage: mlpipelines {usage}\n", "")
    assert snapshot(workdir) == {}


# (id, the generated script's arguments, the last line of its stderr); argparse prints its usage above it.
SCRIPT_OPTION_CASES = [
    ("epochs-a-word", ["--epochs", "abc"], "argument --epochs: invalid positive_int value: 'abc'"),
    ("epochs-zero", ["--epochs", "0"], "argument --epochs: '0' is not a positive integer"),
    ("epochs-without-value", ["--epochs"], "argument --epochs: expected one argument"),
    ("option-abbreviated", ["--epoch", "3"], "unrecognized arguments: --epoch 3"),
    ("option-unknown", ["--unknown_option", "1"], "unrecognized arguments: --unknown_option 1"),
    ("learning-rate-nan", ["--learning_rate", "nan"], "argument --learning_rate: 'nan' is not a finite number > 0"),
    ("learning-rate-inf", ["--learning_rate", "inf"], "argument --learning_rate: 'inf' is not a finite number > 0"),
    ("learning-rate-negative", ["--learning_rate=-1"], "argument --learning_rate: '-1' is not a finite number > 0"),
    (
        "validation-split-one",
        ["--validation_split", "1"],
        "argument --validation_split: '1' is not a fraction in [0, 1)",
    ),
    (
        "hidden-sizes-a-word",
        ["--hidden_sizes", "64,x"],
        "argument --hidden_sizes: '64,x' is not a comma-separated list of positive integers",
    ),
    (
        "activation-unknown",
        ["--activation", "gelu"],
        "argument --activation: invalid choice: 'gelu' (choose from 'relu', 'tanh', 'sigmoid')",
    ),
    ("batch-size-float", ["--batch_size", "2.5"], "argument --batch_size: invalid positive_int value: '2.5'"),
    ("seed-negative", ["--seed=-1"], "argument --seed: '-1' is negative; expected an integer >= 0"),
    (
        "backend-misspelt",
        ["--tracking_backends", "CVS"],
        "argument --tracking_backends: unknown tracking backend 'CVS'; registered backends: COMET, CSV, DVCLIVE, MLFLOW, STDOUT, TENSORBOARD, WANDB; did you mean 'CSV'?",
    ),
    (
        "backend-unknown",
        ["--tracking_backends", "CSV,NEPTUNE"],
        "argument --tracking_backends: unknown tracking backend 'NEPTUNE'; registered backends: COMET, CSV, DVCLIVE, MLFLOW, STDOUT, TENSORBOARD, WANDB",
    ),
    ("journal-without-value", ["--tracking_journal"], "argument --tracking_journal: expected one argument"),
]


@pytest.fixture(scope="module")
def generated_script(tmp_path_factory) -> Path:
    """A script generated with CSV tracking into a directory of its own (``runs/csv`` made absolute)."""
    work = tmp_path_factory.mktemp("script")
    (work / "tracking.yaml").write_text("backends:\n  csv:\n    dir: runs/csv\n", encoding="utf-8")
    (work / "digits.yaml").write_text(GOOD_EXPERIMENT, encoding="utf-8")
    generated = run_front_door(
        "java-launcher", ["generate", "digits.yaml", "--tracking", "tracking.yaml", "--out", "out"], work
    )
    assert generated.returncode == 0, generated.stderr
    return work / "out" / "digits" / "train.py"


@pytest.mark.parametrize(
    "args, last_line", [c[1:] for c in SCRIPT_OPTION_CASES], ids=[c[0] for c in SCRIPT_OPTION_CASES]
)
def test_a_bad_option_of_the_generated_script_is_refused_before_anything_is_written(generated_script, args, last_line):
    work = generated_script.parents[2]
    before = snapshot(work)
    result = subprocess.run(
        [sys.executable, str(generated_script), *args],
        cwd=generated_script.parent,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("usage: train.py [-h]")
    assert result.stderr.splitlines()[-1] == f"train.py: error: {last_line}"
    assert snapshot(work) == before, "something was written"


@pytest.mark.parametrize("command", [["replay", "spool"], ["replay", "spool", "--tracking_uri", "http://127.0.0.1:9"]])
def test_commands_find_the_projects_python_from_any_directory(door, tmp_path, command):
    """No MLPIPELINES_PYTHON, no .venv in the working directory, and a PATH whose python3 lacks mlpipelines:
    the console script hands Java its own interpreter; the launcher finds .venv beside its installation."""
    (tmp_path / "spool").mkdir()
    bare_path = os.pathsep.join(
        entry
        for entry in os.environ["PATH"].split(os.pathsep)
        if Path(entry).resolve() != Path(sys.executable).parent.resolve()
    )
    environment = {key: value for key, value in os.environ.items() if key not in ("MLPIPELINES_PYTHON", "VIRTUAL_ENV")}
    environment["PATH"] = bare_path
    result = subprocess.run(
        [str(FRONT_DOORS[door]), *command], cwd=tmp_path, capture_output=True, text=True, timeout=120, env=environment
    )
    # The replay module ran (a python3 without mlpipelines would say "No module named mlpipelines").
    assert (result.returncode, result.stderr) == (2, "replay: no spool files (*.jsonl) in spool\n")
