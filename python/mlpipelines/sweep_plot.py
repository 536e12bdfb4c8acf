"""Plots a sweep's objective against each swept parameter: ``python sweep_plot.py RESULTS.csv OUT.png``.

The Java sweep writes the results table (one row per trial: ``trial``, the swept key paths, the
objective's metric, ``status``, ``best``, …) and runs this file, copied into the sweep's directory, with
the project's interpreter. One panel per parameter, finished trials only, the best one marked. A
parameter whose values are not all numbers is shown by category; numbers spanning two decades or more
on a log axis. Exit code 3 when matplotlib is not installed (the sweep then says the plot was skipped).
"""

from __future__ import annotations

import argparse
import csv
import math
import sys

MISSING_LIBRARY = 3
NON_PARAMETER_COLUMNS = ("trial", "status", "best", "run", "failure_reason")


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def main(argv: list[str] | None = None) -> int:
    """Reads the table, writes the PNG; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", help="the sweep's results table (CSV)")
    parser.add_argument("output", help="the PNG to write")
    parser.add_argument("--objective", required=True, help="the objective's column (the metric)")
    args = parser.parse_args(argv)
    try:
        import matplotlib
    except ImportError:
        print("matplotlib is not installed (pip install 'mlpipelines-tracking[sweep]')", file=sys.stderr)
        return MISSING_LIBRARY
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with open(args.results, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        columns = list(reader.fieldnames or [])
        rows = [row for row in reader if row["status"] == "FINISHED" and _number(row[args.objective]) is not None]
    parameters = [column for column in columns if column not in NON_PARAMETER_COLUMNS and column != args.objective]
    figure, axes = plt.subplots(1, max(1, len(parameters)), figsize=(4.5 * max(1, len(parameters)), 3.8), squeeze=False)
    for axis, parameter in zip(axes[0], parameters, strict=False):
        texts = [row[parameter] for row in rows]
        numbers = [_number(text) for text in texts]
        objectives = [float(row[args.objective]) for row in rows]
        if texts and all(number is not None for number in numbers):
            xs: list[float] = [number for number in numbers if number is not None]
            if min(xs) > 0 and max(xs) / min(xs) >= 100:
                axis.set_xscale("log")
        else:
            categories = sorted(set(texts))
            xs = [float(categories.index(text)) for text in texts]
            axis.set_xticks(range(len(categories)), categories)
        axis.scatter(xs, objectives, color="tab:blue", label="finished trial")
        best = [(x, y) for x, y, row in zip(xs, objectives, rows, strict=True) if row["best"] == "*"]
        if best:
            axis.scatter(*zip(*best, strict=True), color="tab:red", marker="*", s=200, label="best")
        axis.set_xlabel(parameter)
        axis.set_ylabel(args.objective)
        axis.grid(True, alpha=0.3)
    axes[0][0].legend(loc="best")
    figure.suptitle(f"{args.objective} per trial ({len(rows)} finished)")
    figure.tight_layout()
    figure.savefig(args.output, dpi=100)
    return 0


if __name__ == "__main__":
    sys.exit(main())
