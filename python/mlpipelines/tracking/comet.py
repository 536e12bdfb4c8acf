"""COMET backend: a Comet experiment, offline unless ``COMET_API_KEY`` is set.

Offline (the default without credentials), Comet keeps the experiment as an archive
``<comet_dir>/<run>/<experiment key>.zip`` (``experiment.json`` and the JSON lines of
``messages.json``, plus the assets), written when the experiment ends;
``comet upload <archive>`` uploads it later. The Java half names the run directory and
the experiment key (``--comet_run_name``, ``--comet_run_id``) and hands its params,
tags, metrics and artifacts over through the run directory (see ``handoff.py``);
without them this half claims the next ``run_<N>`` and makes a key of its own.

How values are kept: metrics with their step; params as parameters; tags as "others"
(Comet's key/value annotations of an experiment); artifacts as assets. Comet's
automatic logging (stdout capture, environment, git, framework hooks) is switched off
so that the experiment holds what the pipeline logged, and its console messages are
cut to errors (this backend prints the offline line and the upload command itself).
Values count as delivered for the tracking journal once the archive is written, so a
killed script's recovery logs them all again into an archive of the same key.
"""

import logging
import os
import shlex
import uuid
from collections.abc import Mapping
from typing import Any, Optional

from .base import option, tracking_options
from .handoff import VendorTracker
from .registry import register_tracker


@tracking_options
class CometOptions:
    """Options of the COMET backend."""

    comet_dir: str = option("directory of the runs' local files, one run_<N> each (default: runs/comet)", "runs/comet")
    comet_project: str = option("Comet project (default: mlpipelines)", default="mlpipelines")
    comet_mode: str = option(
        "auto (online when COMET_API_KEY is set), offline or online (default: auto)", default="auto"
    )
    comet_run_name: Optional[str] = option(
        "existing run directory to write into (default: claim the next run_<N>)", default=None
    )
    comet_run_id: Optional[str] = option("Comet experiment key, 32 to 50 letters and digits (default: a new one)", None)


# Everything Comet would log on its own: the experiment holds what the pipeline logs.
_QUIET: dict[str, Any] = {
    "log_code": False,
    "log_graph": False,
    "auto_param_logging": False,
    "auto_metric_logging": False,
    "parse_args": False,
    "auto_output_logging": None,
    "log_env_details": False,
    "log_git_metadata": False,
    "log_git_patch": False,
    "log_env_gpu": False,
    "log_env_host": False,
    "log_env_cpu": False,
    "log_env_network": False,
    "log_env_disk": False,
    "display_summary_level": 0,
    "auto_log_co2": False,
}


class CometTracker(VendorTracker):
    """Logs into a Comet experiment from a thread of its own (see the module doc).

    Without comet_ml installed, the first use reports the pip requirement once and every value is
    counted as dropped; the other backends run.

    Raises:
        TrackingError: on first use, mode online without ``COMET_API_KEY``, or a run directory that
            does not exist.
    """

    options_class = CometOptions
    backend = "COMET"
    vendor_module = "comet_ml"
    credential_variable = "COMET_API_KEY"

    def __init__(self, options: CometOptions, **kwargs: Any) -> None:
        super().__init__(options, **kwargs)
        self.experiment_key = options.comet_run_id or uuid.uuid4().hex
        self._experiment: Any = None

    def _prepare_import(self, mode: str) -> None:
        # Comet installs its framework hooks when it is imported, unless told not to.
        os.environ.setdefault("COMET_DISABLE_AUTO_LOGGING", "1")
        # Its console lines (the upload hint, deprecation notes) would repeat what the closing line says.
        os.environ.setdefault("COMET_LOGGING_CONSOLE", "ERROR")

    def _vendor_open(self, run_directory: str, run_name: str, mode: str) -> dict[str, str]:
        import comet_ml

        if os.environ.get("COMET_LOGGING_CONSOLE", "").upper() == "ERROR":
            # Comet reads the variable when it is first imported; a process that imported it earlier
            # (a user's script, a test) has its console handler at INFO already.
            for handler in logging.getLogger("comet_ml").handlers:
                handler.setLevel(logging.ERROR)

        project = self.options.comet_project
        experiment: Any
        if mode == "online":
            experiment = comet_ml.Experiment(project_name=project, experiment_key=self.experiment_key, **_QUIET)
        else:
            experiment = comet_ml.OfflineExperiment(
                project_name=project, experiment_key=self.experiment_key, offline_directory=run_directory, **_QUIET
            )
        experiment.set_name(run_name)
        self._experiment = experiment
        if mode == "online":
            return {"run": str(experiment.url), "files": run_directory}
        archive = os.path.join(run_directory, f"{self.experiment_key}.zip")
        return {
            "run": f"offline experiment {self.experiment_key} of project {project}",
            "files": archive,
            "sync": shlex.join(["comet", "upload", archive]),
        }

    def _vendor_metrics(self, metrics: Mapping[str, float], timestamp: int, step: int) -> None:
        self._experiment.log_metrics(dict(metrics), step=step)

    def _vendor_params(self, params: dict[str, str]) -> None:
        self._experiment.log_parameters(params)

    def _vendor_tags(self, tags: dict[str, str]) -> None:
        self._experiment.log_others(tags)

    def _vendor_artifact(self, path: str, artifact_path: str | None) -> None:
        name = os.path.basename(os.path.normpath(path))
        if os.path.isdir(path):
            for directory, _, files in os.walk(path):
                relative = os.path.relpath(directory, path)
                for file in files:
                    parts = [artifact_path or "", name, "" if relative == "." else relative, file]
                    self._experiment.log_asset(os.path.join(directory, file), file_name="/".join(p for p in parts if p))
        else:
            self._experiment.log_asset(path, file_name="/".join(p for p in (artifact_path or "", name) if p))

    def _vendor_close(self, status: str) -> None:
        experiment, self._experiment = self._experiment, None
        if experiment is not None:
            experiment.log_other("status", status)
            experiment.end()


register_tracker("COMET", CometTracker)
