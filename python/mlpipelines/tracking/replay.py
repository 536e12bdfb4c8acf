"""Deliver spooled MLflow data into its run, exactly once.

Usage::

    python -m mlpipelines.tracking.replay SPOOL_DIR [--tracking_uri URI]

``SPOOL_DIR`` is a spool directory (searched recursively) or one ``.jsonl`` file.
Each entry is sent, then durably marked delivered in the ``.progress`` file next
to the spool file, so running replay again sends nothing twice. A crash between
sending and marking can repeat at most that one entry, and MLflow's SQL stores
ignore an exact repeat of a metric (same key, value, step and timestamp).
Entries spooled before the run existed go into a run created in the recorded
experiment, with the start time and run name the tracker planned for it (the
spool header); its id is recorded too. An entry the store rejects (HTTP 4xx, an
artifact file that no longer exists) is reported, recorded as skipped in the
progress file (a second replay does not try it again) and replay goes on with the
next one; of a rejected batch only the offending items are skipped.

Exit status: 0 all delivered; 1 something could not be delivered yet (run it
again later); 2 bad usage or an unreadable spool file; 3 everything else was
delivered, but the store rejected some entries or items (listed on stderr).
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from .base import now_millis
from .errors import TrackingError
from .mlflow_delivery import DEFAULT_RETRY, RetryPolicy, deliver_entry
from .spool import SpoolFile, find_spool_files

if TYPE_CHECKING:
    from .mlflow_delivery import Transport

_Result = TypeVar("_Result")


def replay_file(
    spool_file: SpoolFile,
    tracking_uri: str | None = None,
    retry: RetryPolicy = DEFAULT_RETRY,
    output: TextIO | None = None,
    errors: TextIO | None = None,
) -> tuple[int, int, int]:
    """Deliver the unfinished entries of ``spool_file`` (a ``SpoolFile``).

    Args:
        spool_file: the spool file with its progress.
        tracking_uri: overrides the URI recorded in the spool (the server moved).
        retry: attempts and backoff per entry.
        output: where progress lines go (default: standard output).
        errors: where rejected entries and items are reported (default: standard error).

    Returns:
        (entries delivered now, entries delivered before, entries of this file skipped now or
        before because the store rejected them or some of their items).

    Raises:
        TrackingError: an entry could not be delivered after the retries (the ones before
            it stay marked delivered).
    """
    from .mlflow_transport import DeliveryError, open_transport

    uri = tracking_uri or spool_file.header.get("tracking_uri")
    if not uri:
        raise TrackingError(f"{spool_file.path}: no tracking_uri in the header; pass --tracking_uri")
    transport = open_transport(uri, retry.timeout_seconds)
    error_output = errors or sys.stderr

    def attempt(call: Callable[[], _Result], what: str) -> _Result:
        last: DeliveryError | None = None
        for number in range(max(1, retry.attempts)):
            try:
                return call()
            except DeliveryError as error:
                last = error
                if not error.transient:
                    raise
                if number + 1 < retry.attempts:
                    time.sleep(retry.backoff(number))
        raise TrackingError(f"{spool_file.path}: {what} failed: {last}")

    run_id = spool_file.run_id()
    sent = before = 0
    for entry in spool_file.entries:
        sequence = entry["seq"]
        if spool_file.finished(sequence) or "run_id" in entry:
            before += sequence in spool_file.delivered
            continue
        if run_id is None:
            try:
                run_id = _create_run(spool_file, transport, attempt)
            except DeliveryError as error:
                raise TrackingError(f"{spool_file.path}: creating the run failed: {error}") from None
        rejected: list[str] = []
        reject = functools.partial(_report_rejected, rejected, f"{spool_file.path}: entry {sequence}", error_output)
        try:
            attempt(functools.partial(deliver_entry, transport, run_id, entry, reject), f"entry {sequence}")
        except DeliveryError as error:
            print(f"replay: {spool_file.path}: entry {sequence} skipped: {error}", file=error_output)
            spool_file.mark_skipped(sequence, _item_count(entry), str(error)[:500])
            continue
        if rejected:
            spool_file.mark_skipped(sequence, len(rejected), "rejected: " + "; ".join(rejected)[:500])
        else:
            spool_file.mark_delivered(sequence)
            sent += 1
    skipped = len(spool_file.skipped)
    rejected_note = f", {skipped} skipped as rejected by the store" if skipped else ""
    print(
        f"{spool_file.path}: delivered {sent} entries into run {run_id} ({before} already delivered before"
        f"{rejected_note})",
        file=output or sys.stdout,
    )
    return sent, before, skipped


def _create_run(spool_file: SpoolFile, transport: Transport, attempt: Callable[..., Any]) -> str:
    """Create the run of entries spooled before it existed, as the tracker planned it; record its id."""
    header = spool_file.header
    experiment_id = header.get("experiment_id") or attempt(
        functools.partial(transport.experiment_id, header.get("experiment_name") or "default"),
        "finding the experiment",
    )
    start_time = header.get("start_time")
    if not isinstance(start_time, int):
        # Spools of older versions: the earliest time recorded in the file.
        times = [metric[2] for entry in spool_file.entries for metric in entry.get("metrics") or ()]
        start_time = min(times, default=None) or now_millis()
    run_id = str(
        attempt(
            functools.partial(transport.create_run, experiment_id, start_time, header.get("run_name")),
            "creating the run",
        )
    )
    spool_file.record_created_run(run_id)
    return run_id


def _report_rejected(rejected: list[str], where: str, output: TextIO, what: str, error: Exception) -> None:
    rejected.append(what)
    print(f"replay: {where}: the store rejected {what}: {error}", file=output)


def _item_count(entry: dict[str, Any]) -> int:
    if "artifact" in entry:
        return 1
    return sum(len(entry.get(kind) or ()) for kind in ("metrics", "params", "tags"))


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
    failed = skipped = 0
    for spool_file in files:
        try:
            skipped += replay_file(spool_file, args.tracking_uri)[2]
        except TrackingError as error:
            failed += 1
            print(f"replay: {error}", file=sys.stderr)
    if failed:
        return 1
    return 3 if skipped else 0


if __name__ == "__main__":
    sys.exit(main())
