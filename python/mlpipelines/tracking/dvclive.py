"""DVCLIVE backend: DVCLive's files, with live updates to DVC Studio only when ``DVC_STUDIO_TOKEN`` is set.

DVCLive writes ``<dvclive_dir>/<run>/dvclive/``: ``metrics.json`` (the latest value of
each metric), ``plots/metrics/<key>.tsv`` (one ``step<TAB>value`` row per value) and
``params.yaml``, the files ``dvc plots show`` / ``dvc metrics show`` and DVC Studio
read. The Java half names the run directory (``--dvclive_run_name``) and hands its
params, tags, metrics and artifacts over through it (see ``handoff.py``); without it
this half claims the next ``run_<N>``.

How values are kept: params in DVCLive's params; tags in its params under ``tags``
(DVCLive has no tags); artifacts are copied to ``artifacts/`` of the run directory
(DVCLive keeps artifacts only inside a DVC repository). DVCLive writes a value's
row when it is logged, so values count as delivered for the tracking journal at once,
and a killed script's recovery appends only the rest. Offline (without the token)
DVC Studio is not contacted (``DVC_STUDIO_OFFLINE``). Inside a Git repository DVCLive
initializes DVC there (its own behaviour, for ``dvc plots``); no ``dvc.yaml`` is written
and no DVC experiment saved.
"""

import os
import shutil
from collections.abc import Mapping
from typing import Any, Optional

from .base import option, tracking_options
from .handoff import ARTIFACTS_DIRECTORY, VendorTracker
from .registry import register_tracker

LIVE_DIRECTORY = "dvclive"


@tracking_options
class DvcLiveOptions:
    """Options of the DVCLIVE backend."""

    dvclive_dir: str = option("directory of the runs, one run_<N> each (default: runs/dvclive)", "runs/dvclive")
    dvclive_mode: str = option(
        "auto (DVC Studio live updates when DVC_STUDIO_TOKEN is set), offline or online (default: auto)",
        default="auto",
    )
    dvclive_run_name: Optional[str] = option(
        "existing run directory to write into (default: claim the next run_<N>)", default=None
    )


class DvcLiveTracker(VendorTracker):
    """Logs with DVCLive from a thread of its own (see the module doc).

    Without dvclive installed, the first use reports the pip requirement once and every value is
    counted as dropped; the other backends run.

    Raises:
        TrackingError: on first use, mode online without ``DVC_STUDIO_TOKEN``, or a run directory that
            does not exist.
    """

    options_class = DvcLiveOptions
    backend = "DVCLIVE"
    vendor_module = "dvclive"
    credential_variable = "DVC_STUDIO_TOKEN"
    delivered_on_write = True

    def __init__(self, options: DvcLiveOptions, **kwargs: Any) -> None:
        super().__init__(options, **kwargs)
        self._live: Any = None
        self._tags: dict[str, str] = {}
        self._run_directory = ""

    def _prepare_import(self, mode: str) -> None:
        if mode == "offline":
            os.environ["DVC_STUDIO_OFFLINE"] = "true"  # DVCLive then never contacts DVC Studio

    def _vendor_open(self, run_directory: str, run_name: str, mode: str) -> dict[str, str]:
        from dvclive import Live

        directory = os.path.join(run_directory, LIVE_DIRECTORY)
        # resume: a recovery after a kill appends to the rows the killed script wrote.
        self._live = Live(dir=directory, resume=os.path.isdir(directory), save_dvc_exp=False, dvcyaml=None, report=None)
        self._run_directory = run_directory
        return {"run": f"{run_name} ({mode})", "files": directory}

    def _vendor_metrics(self, metrics: Mapping[str, float], timestamp: int, step: int) -> None:
        live = self._live
        live.step = step
        for key, value in metrics.items():
            live.log_metric(key, value, timestamp=False)

    def _vendor_params(self, params: dict[str, str]) -> None:
        self._live.log_params(params)

    def _vendor_tags(self, tags: dict[str, str]) -> None:
        self._tags.update(tags)
        self._live.log_param("tags", dict(self._tags))

    def _vendor_artifact(self, path: str, artifact_path: str | None) -> None:
        target_directory = os.path.join(self._run_directory, ARTIFACTS_DIRECTORY, artifact_path or "")
        os.makedirs(target_directory, exist_ok=True)
        target = os.path.join(target_directory, os.path.basename(os.path.normpath(path)))
        if os.path.abspath(path) == os.path.abspath(target):
            return  # Java's hand-off is there already
        if os.path.isdir(path):
            shutil.copytree(path, target, dirs_exist_ok=True)
        else:
            shutil.copy2(path, target)

    def _vendor_close(self, status: str) -> None:
        live, self._live = self._live, None
        if live is not None:
            live.make_summary()
            live.end()


register_tracker("DVCLIVE", DvcLiveTracker)
