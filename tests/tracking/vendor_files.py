"""Reading back what the W&B, Comet and DVCLive backends wrote, through each vendor's own file format.

W&B 0.31 reads its transaction log only in its Go core, so ``wandb_records`` reads the file as W&B
writes it (a LevelDB-style log: the header ``:W&B``, 0xBEE1, version 0; 32 KiB blocks of records, each
with a CRC-32 of its type and data) and parses each record with W&B's own protobuf ``Record``.
"""

from __future__ import annotations

import csv
import glob
import json
import os
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import yaml

_BLOCK = 32768
_HEADER = 7
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4


def wandb_offline_runs(run_directory: Path) -> list[Path]:
    """The ``offline-run-*`` directories W&B wrote below a run directory, oldest first."""
    return sorted(Path(p) for p in glob.glob(str(run_directory / "wandb" / "offline-run-*")))


def wandb_records(offline_run: Path) -> list[Any]:
    """Every record of the offline run's ``run-<id>.wandb`` file, as W&B's protobuf ``Record``s."""
    from wandb.proto import wandb_internal_pb2

    (log_file,) = offline_run.glob("run-*.wandb")
    data = log_file.read_bytes()
    assert struct.unpack("<4sHB", data[:_HEADER]) == (b":W&B", 0xBEE1, 0), "not a W&B transaction log"
    records, parts, position = [], [], _HEADER
    while position + _HEADER <= len(data):
        left = _BLOCK - position % _BLOCK
        if left < _HEADER:
            position += left
            continue
        checksum, length, kind = struct.unpack("<IHB", data[position : position + _HEADER])
        if (checksum, length, kind) == (0, 0, 0):  # the rest of the block is padding
            position += left
            continue
        payload = data[position + _HEADER : position + _HEADER + length]
        assert zlib.crc32(payload, zlib.crc32(bytes([kind]))) & 0xFFFFFFFF == checksum, "corrupt record"
        position += _HEADER + length
        parts.append(payload)
        if kind in (_FULL, _LAST):
            record = wandb_internal_pb2.Record()
            record.ParseFromString(b"".join(parts))
            records.append(record)
            parts = []
    return records


def wandb_run(offline_run: Path) -> dict[str, Any]:
    """What an offline W&B run holds: run id, name, project, config, history rows, summary, exit code, files."""
    result: dict[str, Any] = {"config": {}, "history": [], "summary": {}, "exit_code": None, "files": []}
    for record in wandb_records(offline_run):
        kind = record.WhichOneof("record_type")
        if kind == "run":
            result.update(run_id=record.run.run_id, name=record.run.display_name, project=record.run.project)
            result["config"].update({item.key: json.loads(item.value_json) for item in record.run.config.update})
        elif kind == "config":
            result["config"].update({item.key: json.loads(item.value_json) for item in record.config.update})
        elif kind == "history":
            result["history"].append({_key(item): json.loads(item.value_json) for item in record.history.item})
        elif kind == "summary":
            result["summary"].update({_key(item): json.loads(item.value_json) for item in record.summary.update})
        elif kind == "exit":
            result["exit_code"] = record.exit.exit_code
        elif kind == "files":
            result["files"].extend(file.path for file in record.files.files)
    result["config"].pop("_wandb", None)
    return result


def _key(item: Any) -> str:
    return item.key or "/".join(item.nested_key)


def wandb_metrics(run: dict[str, Any], step_key: str = "trainer/step") -> dict[str, list[tuple[int, float]]]:
    """{metric: [(logged step, value)]} of a W&B run's history, in logging order."""
    metrics: dict[str, list[tuple[int, float]]] = {}
    for row in run["history"]:
        for key, value in row.items():
            if not key.startswith("_") and key != step_key:
                metrics.setdefault(key, []).append((row[step_key], value))
    return metrics


def comet_archive(archive: Path) -> dict[str, Any]:
    """What a Comet offline archive holds: ``experiment.json``, metrics, params, others and asset names."""
    with zipfile.ZipFile(archive) as opened:
        experiment = json.loads(opened.read("experiment.json"))
        messages = [json.loads(line) for line in opened.read("messages.json").decode().splitlines() if line]
        names = opened.namelist()
    metrics: dict[str, list[tuple[int, float]]] = {}
    params: dict[str, Any] = {}
    others: dict[str, Any] = {}
    assets: dict[str, str] = {}
    for message in messages:
        payload = message["payload"]
        if message["type"] == "metric_msg":
            metric = payload["metric"]
            metrics.setdefault(metric["metricName"], []).append((metric["step"], metric["metricValue"]))
        elif message["type"] == "parameter_msg" and payload["param"].get("source") == "manual":
            params[payload["param"]["paramName"]] = payload["param"]["paramValue"]
        elif message["type"] == "log_other":
            others[payload["key"]] = payload["value"]
        elif message["type"] == "file_upload" and payload.get("upload_type") == "asset":
            assets[payload["additional_params"]["fileName"]] = payload["file_path"]
    metrics.pop("process duration", None)  # Comet's own
    return {
        "experiment": experiment,
        "metrics": metrics,
        "params": params,
        "others": others,
        "assets": assets,
        "names": names,
    }


def dvclive_run(directory: Path) -> dict[str, Any]:
    """What DVCLive wrote: {metric: [(step, value)]} from ``plots/metrics/*.tsv``, ``metrics.json``, ``params.yaml``."""
    metrics: dict[str, list[tuple[int, float]]] = {}
    plots = directory / "plots" / "metrics"
    for tsv in sorted(plots.rglob("*.tsv")):
        key = str(tsv.relative_to(plots).with_suffix("")).replace(os.sep, "/")
        with open(tsv, newline="") as source:
            rows = list(csv.DictReader(source, delimiter="\t"))
        metrics[key] = [(int(row["step"]), float(row[tsv.stem])) for row in rows]
    summary_file = directory / "metrics.json"
    summary = json.loads(summary_file.read_text()) if summary_file.exists() else {}
    params_file = directory / "params.yaml"
    params = yaml.safe_load(params_file.read_text()) if params_file.exists() else {}
    return {"metrics": metrics, "summary": summary, "params": params or {}}


def child_processes() -> set[int]:
    """PIDs of this process's living children (W&B's service must not outlive a closed tracker)."""
    children = set()
    for status in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = Path(status).read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and fields[0] != "Z":
            children.add(int(Path(status).parent.name))
    return children


# What ``log_the_scenario`` logs, as {metric: [(step, value)]}: a later step, then an earlier one.
SCENARIO_METRICS = {
    "train_loss": [(0, 0.5), (10, 0.25)],
    "acc": [(0, 0.25)],
    "val/loss": [(1, 0.75)],
}
SCENARIO_PARAMS = {"lr": "0.1", "name": 'it\'s "ü"'}
SCENARIO_TIMESTAMP = 1_700_000_000_123


def log_the_scenario(tracker: Any, directory: Path, status: str = "FINISHED") -> None:
    """Log metrics (an epoch metric after a later step), params, tags and an artifact, then close."""
    artifact = directory / "notes.txt"
    artifact.write_text("notes", encoding="utf-8")
    tracker.log_metrics({"train_loss": 0.5, "acc": 0.25}, step=0, timestamp=SCENARIO_TIMESTAMP)
    tracker.log_metric("train_loss", 0.25, step=10)
    tracker.log_metric("val/loss", 0.75, step=1)
    tracker.log_params({"lr": 0.1, "name": 'it\'s "ü"'})
    tracker.set_tags({"team": "vision"})
    tracker.log_artifact(artifact, "docs")
    tracker.close(status)
