"""A training script with WANDB, COMET and DVCLIVE is SIGKILLed; recovery delivers every metric into the same runs."""

import signal
import subprocess
import textwrap
import time

import pytest
import yaml

from mlpipelines.tracking.journal import JournalReader
from test_journal import assert_holds_the_journal
from tracking_helpers import PYTHON, subprocess_env
from vendor_files import comet_archive, dvclive_run, wandb_metrics, wandb_offline_runs, wandb_run

pytest.importorskip("wandb")
pytest.importorskip("comet_ml")
pytest.importorskip("dvclive")

KILLED_SCRIPT = textwrap.dedent("""
    import sys
    from mlpipelines.tracking import MultiBackendTracker, build_parser

    tracker = MultiBackendTracker(build_parser().parse_args(sys.argv[1:]))
    tracker.log_params({"lr": 0.1})
    for step in range(100_000):
        if step % 3 == 2:
            tracker.log_metrics({"loss": float(step), "acc": step / 1000}, step=step)
        else:
            tracker.log_metric("loss", float(step), step=step)
        print(step, flush=True)
        if step == 300:
            tracker.flush()  # the vendors' threads have opened their runs and logged these
    """)
KILL_AFTER = 600


def wandb_core_processes():
    processes = set()
    for pid in subprocess.run(["pgrep", "-f", "wandb-core"], capture_output=True, text=True).stdout.split():
        processes.add(int(pid))
    return processes


def test_sigkill_then_recover_fills_each_vendor_run_with_every_returned_metric(tmp_path):
    environment = subprocess_env()
    for variable in ("WANDB_API_KEY", "WANDB_MODE", "COMET_API_KEY", "DVC_STUDIO_TOKEN"):
        environment.pop(variable, None)
    for backend in ("wandb", "comet", "dvclive"):
        (tmp_path / backend / "run_1").mkdir(parents=True)  # as the Java half claims it
    experiment_key = "0123456789abcdef0123456789abcdef"
    options = [
        "--tracking_backends=WANDB,COMET,DVCLIVE",
        f"--wandb_dir={tmp_path / 'wandb'}",
        "--wandb_run_name=run_1",
        "--wandb_run_id=k1lled00",
        "--wandb_mode=offline",
        f"--comet_dir={tmp_path / 'comet'}",
        "--comet_run_name=run_1",
        f"--comet_run_id={experiment_key}",
        "--comet_mode=offline",
        f"--dvclive_dir={tmp_path / 'dvclive'}",
        "--dvclive_run_name=run_1",
        "--dvclive_mode=offline",
    ]
    journal = tmp_path / "metrics.journal"
    wandb_before = wandb_core_processes()
    script = subprocess.Popen(
        [PYTHON, "-c", KILLED_SCRIPT, *options, f"--tracking_journal={journal}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=tmp_path,
        env=environment,
    )
    try:
        for line in script.stdout:
            if int(line) == KILL_AFTER:
                break
        script.send_signal(signal.SIGKILL)
        assert script.wait(timeout=60) == -signal.SIGKILL
    finally:
        script.kill()
        script.stdout.close()

    recovery = subprocess.run(
        [PYTHON, "-m", "mlpipelines.tracking.recover", str(journal), *options],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment,
        timeout=300,
    )
    assert recovery.returncode == 0, recovery.stdout + recovery.stderr
    recovered = {
        line.split(": ")[1]: int(line.split("recovered ")[1].split()[0])
        for line in recovery.stdout.splitlines()
        if line.startswith("mlpipelines.tracking.recover: ")
    }
    journaled = {"loss": [], "acc": []}
    for record in JournalReader(str(journal)).records():
        journaled[record.key].append(record.step)
    total = sum(len(steps) for steps in journaled.values())
    assert len(journaled["loss"]) > KILL_AFTER
    # W&B and Comet have a run's values only once it is ended: recovery logs them all again.
    assert recovered["WANDB"] == recovered["COMET"] == total
    assert 0 <= recovered["DVCLIVE"] < total

    # W&B: the recovered offline run of the same id is complete; location.yaml and its sync line name it.
    offline = wandb_offline_runs(tmp_path / "wandb" / "run_1")[-1]
    run = wandb_run(offline)
    assert run["run_id"] == "k1lled00" and run["exit_code"] == 1 and run["config"] == {"lr": "0.1"}
    stored = wandb_metrics(run)
    assert {key: [step for step, _ in stored[key]] for key in journaled} == journaled
    location = yaml.safe_load((tmp_path / "wandb" / "run_1" / "location.yaml").read_text())
    assert location["sync"] == f"wandb sync {offline}"

    held = comet_archive(tmp_path / "comet" / "run_1" / f"{experiment_key}.zip")
    assert {key: [step for step, _ in held["metrics"][key]] for key in journaled} == journaled
    assert held["params"] == {"lr": "0.1"} and held["others"]["status"] == "FAILED"

    dvclive = dvclive_run(tmp_path / "dvclive" / "run_1" / "dvclive")
    assert_holds_the_journal(
        "DVCLIVE", {key: [step for step, _ in dvclive["metrics"][key]] for key in journaled}, journaled
    )

    deadline = time.monotonic() + 30
    while wandb_core_processes() - wandb_before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not wandb_core_processes() - wandb_before, "a W&B service process outlived the killed script"
