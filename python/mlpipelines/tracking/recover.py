"""Deliver what a killed training script had logged but its backends had not stored yet.

Usage::

    python -m mlpipelines.tracking.recover JOURNAL [the tracking options the script got]

The launcher runs this after the training script ended abnormally (an exit code
other than 0, or a signal). It reads the script's journal (``--tracking_journal``,
see ``journal.py``), builds each backend from the same options, so that it writes
into the same runs, and gives each one the records past its delivered cursor, in
logging order. Runs owned by someone else (``--mlflow_run_id``, ``--csv_run_name``,
``--tensorboard_run_name``) are not ended: their owner ends them, FAILED. Without
those options a backend would create a run of its own, so recovery is meant for
launcher-owned runs. Options it does not know (the training's own) are ignored.

Output: one line per backend on stdout, ``mlpipelines.tracking.recover: NAME:
recovered N metrics`` (", M dropped" when the store refused some), which the
launcher reads; the backends' own output (STDOUT's metric lines) comes first.
Exit status: 0 when every backend took its tail, 1 when one failed (its line says
why, its cursor stays where it was), 2 for a missing or unreadable journal.

The guarantee (with the journal's cursors): a metric for which ``log_metric``
returned reaches every backend, exactly once -- except that a kill in the instant
between a synchronous backend's write (CSV, STDOUT) and the store of its cursor
delivers that one call's metrics a second time. A background backend (MLFLOW,
TENSORBOARD) advances its cursor only after its store (or spool) has the metrics,
so a kill before that delivers them here, and a kill after it sends nothing twice.
With several threads logging at once, the cursors count in each backend's own order,
so a kill may repeat or miss the few metrics other threads had in flight at that
instant; a training thread that logs alone gets the guarantee exactly.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator, Sequence

from .base import RunTracker
from .errors import TrackingError
from .journal import JournalReader, JournalRecord, write_cursor
from .multi import MultiBackendTracker
from .parser import build_parser

SUMMARY_PREFIX = "mlpipelines.tracking.recover: "


def _calls(records: Iterable[JournalRecord]) -> Iterator[tuple[dict[str, float], int, int]]:
    """Group consecutive records of one step and time (one ``log_metrics`` call, usually)."""
    metrics: dict[str, float] = {}
    current: tuple[int, int] | None = None
    for record in records:
        moment = (record.timestamp, record.step)
        if moment != current or record.key in metrics:
            if metrics and current is not None:
                yield metrics, current[0], current[1]
            metrics = {}
            current = moment
        metrics[record.key] = record.value
    if metrics and current is not None:
        yield metrics, current[0], current[1]


def recover_backend(journal: JournalReader, name: str, backend: RunTracker) -> tuple[int, int]:
    """Give ``backend`` the records past its cursor, close it FAILED; return (recovered, dropped).

    Raises:
        Exception: whatever the backend raised; its cursor is left unchanged then.
    """
    start = journal.cursors.get(name, 0)
    count = journal.count
    for metrics, timestamp, step in _calls(journal.records(start)):
        backend.write_metrics(metrics, timestamp, step)
    backend.flush()
    backend.close("FAILED")
    report = backend.delivery_report()
    dropped = report.dropped if report is not None else 0
    write_cursor(journal.path, name, count)
    return count - start, dropped


def main(argv: Sequence[str] | None = None) -> int:
    """Run the recovery (see the module doc); return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m mlpipelines.tracking.recover",
        description="deliver the metrics a killed training script had logged into its tracking journal",
    )
    parser.add_argument("journal", help="the journal file (the script's --tracking_journal)")
    own, rest = parser.parse_known_args(argv)
    args, _ = build_parser().parse_known_args(rest)
    args.tracking_journal = None  # recovery writes the stores, not another journal
    try:
        journal = JournalReader(own.journal)
    except TrackingError as error:
        print(f"{SUMMARY_PREFIX}{error}", file=sys.stderr)
        return 2
    args.tracking_backends = tuple(name for name in args.tracking_backends if name in journal.backend_names)
    try:
        tracker = MultiBackendTracker(args)
    except TrackingError as error:
        print(f"{SUMMARY_PREFIX}{error}", file=sys.stderr)
        return 2
    status = 0
    lines = []
    for name, backend in tracker.backends:
        if not journal.undelivered(name):
            lines.append(f"{SUMMARY_PREFIX}{name}: recovered 0 metrics")
            continue
        try:
            recovered, dropped = recover_backend(journal, name, backend)
        except Exception as error:
            status = 1
            lines.append(
                f"{SUMMARY_PREFIX}{name}: recovery failed, {journal.undelivered(name)} metrics not delivered: "
                f"{type(error).__name__}: {error}"
            )
            continue
        line = f"{SUMMARY_PREFIX}{name}: recovered {recovered} metrics"
        if dropped:
            line += f", {dropped} dropped"
        lines.append(line)
    sys.stdout.flush()
    for line in lines:
        print(line, flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
