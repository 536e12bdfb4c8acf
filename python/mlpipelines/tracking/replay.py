"""Deliver spooled MLflow data into its run, exactly once.

Usage::

    python -m mlpipelines.tracking.replay SPOOL_DIR [--tracking_uri URI]

``SPOOL_DIR`` is a spool directory (searched recursively) or one ``.jsonl`` file.
Each entry is sent, then durably marked delivered in the ``.progress`` file next
to the spool file, so running replay again sends nothing twice. A crash between
sending and marking can repeat at most that one entry, and MLflow's SQL stores
ignore an exact repeat of a metric (same key, value, step and timestamp).
Entries spooled before the run existed go into a run created in the recorded
experiment; its id is recorded too.

Exit status: 0 all delivered; 1 something could not be delivered yet (run it
again later); 2 bad usage or an unreadable spool file.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import TextIO, TypeVar

from .errors import TrackingError
from .mlflow_delivery import DEFAULT_RETRY, RetryPolicy
from .spool import SpoolFile, find_spool_files

_Result = TypeVar("_Result")


def replay_file(
    spool_file: SpoolFile,
    tracking_uri: str | None = None,
    retry: RetryPolicy = DEFAULT_RETRY,
    output: TextIO | None = None,
) -> tuple[int, int]:
    """Deliver the undelivered entries of ``spool_file`` (a ``SpoolFile``).

    Args:
        spool_file: the spool file with its progress.
        tracking_uri: overrides the URI recorded in the spool (the server moved).
        retry: attempts and backoff per entry.
        output: where progress lines go (default: standard output).

    Returns:
        (entries delivered now, entries already delivered before).

    Raises:
        TrackingError: an entry could not be delivered after the retries (the ones before
            it stay marked delivered).
    """
    from .mlflow_transport import DeliveryError, open_transport

    uri = tracking_uri or spool_file.header.get("tracking_uri")
    if not uri:
        raise TrackingError(f"{spool_file.path}: no tracking_uri in the header; pass --tracking_uri")
    transport = open_transport(uri, retry.timeout_seconds)

    def attempt(call: Callable[[], _Result], what: str) -> _Result:
        last: DeliveryError | None = None
        for number in range(max(1, retry.attempts)):
            try:
                return call()
            except DeliveryError as error:
                last = error
                if not error.transient:
                    break
                if number + 1 < retry.attempts:
                    time.sleep(retry.backoff(number))
        raise TrackingError(f"{spool_file.path}: {what} failed: {last}")

    run_id = spool_file.run_id()
    sent = skipped = 0
    for entry in spool_file.entries:
        sequence = entry["seq"]
        if sequence in spool_file.delivered or "run_id" in entry:
            skipped += sequence in spool_file.delivered
            continue
        if run_id is None:
            header = spool_file.header
            experiment_id = header.get("experiment_id") or attempt(
                functools.partial(transport.experiment_id, header.get("experiment_name") or "default"),
                "finding the experiment",
            )
            run_id = attempt(functools.partial(transport.create_run, experiment_id), "creating the run")
            spool_file.record_created_run(run_id)
        if "end_run" in entry:
            attempt(
                functools.partial(transport.end_run, run_id, entry["end_run"], entry["end_time"]),
                f"entry {sequence} (end run)",
            )
        elif "artifact" in entry:
            if not os.path.exists(entry["artifact"]):
                raise TrackingError(
                    f"{spool_file.path}: entry {sequence}: artifact {entry['artifact']} no longer exists"
                )
            attempt(
                functools.partial(transport.log_artifact, run_id, entry["artifact"], entry.get("artifact_path")),
                f"entry {sequence} (artifact)",
            )
        else:
            metrics = [tuple(metric) for metric in entry.get("metrics", [])]
            attempt(
                functools.partial(
                    transport.log_batch, run_id, metrics, entry.get("params") or {}, entry.get("tags") or {}
                ),
                f"entry {sequence}",
            )
        spool_file.mark_delivered(sequence)
        sent += 1
    print(
        f"{spool_file.path}: delivered {sent} entries into run {run_id} ({skipped} already delivered before)",
        file=output or sys.stdout,
    )
    return sent, skipped


def main(argv: Sequence[str] | None = None) -> int:
    """Replay every spool file under a directory; return the exit status (0, 1 or 2).

    Args:
        argv: the arguments after the program name (default: ``sys.argv[1:]``).
    """
    parser = argparse.ArgumentParser(
        prog="python -m mlpipelines.tracking.replay",
        description="Deliver MLflow data that was spooled during an outage, exactly once.",
    )
    parser.add_argument(
        "spool_dir", metavar="SPOOL_DIR", help="spool directory (searched recursively) or one .jsonl spool file"
    )
    parser.add_argument(
        "--tracking_uri", default=None, help="send to this tracking URI instead of the one recorded in the spool"
    )
    args = parser.parse_args(argv)
    try:
        files = [SpoolFile(path) for path in find_spool_files(args.spool_dir)]
    except TrackingError as error:
        print(f"replay: {error}", file=sys.stderr)
        return 2
    if not files:
        print(f"replay: no spool files (*.jsonl) in {args.spool_dir}", file=sys.stderr)
        return 2
    failed = 0
    for spool_file in files:
        try:
            replay_file(spool_file, args.tracking_uri)
        except TrackingError as error:
            failed += 1
            print(f"replay: {error}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
