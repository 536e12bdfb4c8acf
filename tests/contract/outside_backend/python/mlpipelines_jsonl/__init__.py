"""The JSONL backend's Python half, as a distribution outside the source tree provides it.

Registered through the ``mlpipelines.trackers`` entry point ``JSONL``; appends one JSON object per
metric value to ``<jsonl_dir>/<jsonl_run_name>/metrics.jsonl``, the run directory the Java half
created (or, run on its own, the next free ``run_<N>``).
"""

import json
import os
from typing import Optional

from mlpipelines.tracking import RunTracker, option, tracking_options


@tracking_options
class JsonlOptions:
    """Options of the JSONL backend."""

    jsonl_dir: str = option("directory holding one sub-directory per run (default: runs/jsonl)", default="runs/jsonl")
    # argparse-dataclass reads the type at run time and understands Optional, not `str | None`.
    jsonl_run_name: Optional[str] = option(  # noqa: UP045
        "existing run directory to write into (default: claim the next run_<N>)", default=None
    )


class JsonlTracker(RunTracker):
    """Appends ``{"step", "timestamp", "key", "value"}`` lines to ``metrics.jsonl``.

    Args:
        options: a ``JsonlOptions``.
    """

    options_class = JsonlOptions

    def __init__(self, options):
        self.options = options
        self._path = None

    def _metrics_path(self):
        if self._path is None:
            run_name = self.options.jsonl_run_name
            if run_name is None:
                os.makedirs(self.options.jsonl_dir, exist_ok=True)
                number = 1
                while True:
                    run_name = f"run_{number}"
                    try:
                        os.mkdir(os.path.join(self.options.jsonl_dir, run_name))
                        break
                    except FileExistsError:
                        number += 1
            self._path = os.path.join(self.options.jsonl_dir, run_name, "metrics.jsonl")
        return self._path

    def write_metrics(self, metrics, timestamp, step):
        lines = "".join(
            json.dumps({"step": step, "timestamp": timestamp, "key": key, "value": value}) + "\n"
            for key, value in metrics.items()
        )
        with open(self._metrics_path(), "a", encoding="utf-8") as stream:
            stream.write(lines)
