"""``mlpipelines report``: the metric curves of one or several runs, as one self-contained HTML page or PNGs.

Runs come from an MLflow store (read with MLflow's own client: a local ``sqlite:///`` store needs no server)
or from CSV run directories (``<dir>/run_<N>/metrics.csv``, read as the CSV backend writes them, long
``step,timestamp,key,value`` rows or one column per metric). The Java command line resolves tracking.yaml
and calls this module; it runs on its own too::

    python -m mlpipelines.report --mlflow_tracking_uri sqlite:///mlflow.db --experiment digits --out report.html
    python -m mlpipelines.report --csv runs/csv --png plots/

The page holds one chart per metric (a line per run, step on the x axis) as inline SVG, and a table of
the runs with their status, params and last metric values; it loads nothing from elsewhere. Exit codes:
0 written, 2 bad input (no such experiment, run or directory; nothing to plot), with one message on stderr.
"""

from __future__ import annotations

import argparse
import csv
import html
import io
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class ReportError(ValueError):
    """Bad input: the message names what was asked for and what exists."""


@dataclass
class Run:
    """One run's curves: metric key -> [(step, value)], in step order."""

    name: str
    status: str = ""
    params: dict[str, str] = field(default_factory=dict)
    series: dict[str, list[tuple[int, float]]] = field(default_factory=dict)

    def last(self, key: str) -> float | None:
        points = self.series.get(key)
        return points[-1][1] if points else None


def mlflow_runs(tracking_uri: str, experiment: str, wanted: Sequence[str]) -> list[Run]:
    """The runs of an MLflow experiment (all, oldest first, or those named by name or id), with their curves."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri)
    found = client.get_experiment_by_name(experiment)
    if found is None:
        names = sorted(each.name for each in client.search_experiments())
        raise ReportError(f"{tracking_uri}: no experiment '{experiment}'; it has: {', '.join(names) or 'none'}")
    infos = list(client.search_runs([found.experiment_id], order_by=["attributes.start_time ASC"], max_results=1000))
    if wanted:
        by_key = {run.info.run_name: run for run in infos} | {run.info.run_id: run for run in infos}
        missing = [name for name in wanted if name not in by_key]
        if missing:
            available = ", ".join(run.info.run_name for run in infos) or "none"
            raise ReportError(f"experiment '{experiment}' has no run {', '.join(missing)}; it has: {available}")
        infos = [by_key[name] for name in wanted]
    runs = []
    for info in infos:
        run = Run(info.info.run_name or info.info.run_id, info.info.status, dict(info.data.params))
        for key in sorted(info.data.metrics):
            history = client.get_metric_history(info.info.run_id, key)
            run.series[key] = sorted((metric.step, metric.value) for metric in history)
        runs.append(run)
    return runs


def csv_runs(directories: Sequence[str]) -> list[Run]:
    """Runs from CSV run directories, or from directories of them (every ``run_<N>`` below, in number order)."""
    runs = []
    for directory in map(Path, directories):
        if (directory / "metrics.csv").is_file():
            runs.append(csv_run(directory))
            continue
        if not directory.is_dir():
            raise ReportError(f"{directory}: no such directory; expected a CSV run directory or a directory of them")
        below = sorted(
            (child for child in directory.iterdir() if (child / "metrics.csv").is_file()),
            key=lambda child: (len(child.name), child.name),
        )
        if not below:
            raise ReportError(f"{directory}: holds no metrics.csv, nor run directories with one")
        runs.extend(csv_run(child) for child in below)
    return runs


def csv_run(directory: Path) -> Run:
    """One CSV run directory: metrics.csv (long or wide rows), params.yaml and run.yaml when present."""
    import yaml

    run = Run(directory.name)
    for name, target in (("run.yaml", "status"), ("params.yaml", "params")):
        path = directory / name
        if path.is_file():
            loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            if target == "status":
                run.status = str(loaded.get("status", ""))
            else:
                run.params = {str(key): str(value) for key, value in loaded.items()}
    with open(directory / "metrics.csv", newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        for row in reader:
            step = int(float(row.get("step") or 0))
            if "key" in columns and "value" in columns:
                pairs = [(row["key"], row["value"])]
            else:
                pairs = [(key, value) for key, value in row.items() if key not in ("step", "timestamp") and value]
            for key, value in pairs:
                if key and value not in (None, ""):
                    run.series.setdefault(key, []).append((step, float(value)))
    for points in run.series.values():
        points.sort()
    return run


def _figure(key: str, runs: Sequence[Run]) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(7.5, 3.6), dpi=100)
    for run in runs:
        points = [(step, value) for step, value in run.series.get(key, []) if math.isfinite(value)]
        if points:
            # Few points (per-epoch metrics) get markers, so that a single one is visible too.
            marker = "o" if len(points) <= 30 else None
            steps, values = [step for step, _ in points], [value for _, value in points]
            axes.plot(steps, values, label=run.name, linewidth=1.4, marker=marker, markersize=3)
    axes.set_title(key)
    axes.set_xlabel("step")
    axes.grid(True, alpha=0.3)
    if len(runs) > 1:
        axes.legend(fontsize="small")
    figure.tight_layout()
    return figure


def metric_keys(runs: Sequence[Run]) -> list[str]:
    """Every metric key of the runs, sorted."""
    keys = sorted({key for run in runs for key in run.series})
    if not keys:
        raise ReportError(f"the {len(runs)} run(s) hold no metric to plot")
    return keys


def write_html(runs: Sequence[Run], title: str, out: Path) -> None:
    """One HTML page: a chart per metric as inline SVG, then a table of the runs."""
    from matplotlib import pyplot

    charts = []
    for key in metric_keys(runs):
        figure = _figure(key, runs)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg")
        pyplot.close(figure)
        svg = buffer.getvalue()
        charts.append(f"<section><h2>{html.escape(key)}</h2>{svg[svg.index('<svg') :]}</section>")
    keys = metric_keys(runs)
    params = sorted({key for run in runs for key in run.params})
    header = "".join(f"<th>{html.escape(name)}</th>" for name in ["run", "status", *params, *keys])
    rows = []
    for run in runs:
        last = [run.last(key) for key in keys]
        cells = [run.name, run.status, *(run.params.get(key, "") for key in params)]
        cells += ["" if value is None else f"{value:.6g}" for value in last]
        rows.append("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in cells) + "</tr>")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left}}section{{margin:1em 0}}</style></head>
<body><h1>{html.escape(title)}</h1>
<table><thead><tr>{header}</tr></thead><tbody>{"".join(rows)}</tbody></table>
{"".join(charts)}
</body></html>
"""
    _write_atomically(out, page.encode("utf-8"))


def write_pngs(runs: Sequence[Run], directory: Path) -> list[Path]:
    """One PNG per metric (``<metric>.png``, characters a file name cannot hold replaced by ``_``)."""
    from matplotlib import pyplot

    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for key in metric_keys(runs):
        figure = _figure(key, runs)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        pyplot.close(figure)
        path = directory / ("".join(c if c.isalnum() or c in "-_." else "_" for c in key) + ".png")
        _write_atomically(path, buffer.getvalue())
        written.append(path)
    return written


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    temporary.replace(path)


def parser() -> argparse.ArgumentParser:
    """The options of ``python -m mlpipelines.report``."""
    options = argparse.ArgumentParser(prog="mlpipelines report", description=__doc__.split("\n\n")[0])
    source = options.add_mutually_exclusive_group(required=True)
    source.add_argument("--mlflow_tracking_uri", help="MLflow store or server to read (with --experiment)")
    source.add_argument("--csv", nargs="+", metavar="DIR", help="CSV run directories, or directories of them")
    options.add_argument("--experiment", help="MLflow experiment name")
    options.add_argument("--runs", default="", help="comma-separated run names or ids (default: every run)")
    options.add_argument("--out", default="report.html", help="HTML file to write (default: report.html)")
    options.add_argument("--png", metavar="DIR", help="write one PNG per metric into DIR instead of HTML")
    return options


def main(argv: Sequence[str] | None = None) -> int:
    """Writes the report; returns the exit code."""
    args = parser().parse_args(argv)
    wanted = [name.strip() for name in args.runs.split(",") if name.strip()]
    try:
        if args.csv:
            runs = csv_runs(args.csv)
            if wanted:
                runs = [run for run in runs if run.name in wanted]
                if not runs:
                    raise ReportError(f"none of the runs {', '.join(wanted)} is in {', '.join(args.csv)}")
            title = f"Runs in {', '.join(args.csv)}"
        else:
            if not args.experiment:
                raise ReportError("--experiment is needed with --mlflow_tracking_uri")
            runs = mlflow_runs(args.mlflow_tracking_uri, args.experiment, wanted)
            if not runs:
                raise ReportError(f"experiment '{args.experiment}' has no runs yet")
            title = f"Experiment {args.experiment}"
        if args.png:
            written = write_pngs(runs, Path(args.png))
            print(f"wrote {len(written)} PNG(s) of {len(runs)} run(s) to {args.png}")
        else:
            write_html(runs, title, Path(args.out))
            print(f"wrote {args.out}: {len(metric_keys(runs))} metric(s) of {len(runs)} run(s)")
    except (ReportError, OSError) as error:
        print(f"mlpipelines report: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
