"""WANDB backend: a Weights & Biases run, offline unless ``WANDB_API_KEY`` is set.

Offline (the default without credentials), W&B writes its transaction log into
``<wandb_dir>/<run>/wandb/offline-run-*/run-<id>.wandb``; ``wandb sync <that dir>``
uploads it later, into the run of the same id. The Java half names the run directory
and the run id (``--wandb_run_name``, ``--wandb_run_id``) and hands its params, tags,
metrics and artifacts over through the run directory (see ``handoff.py``); without
them this half claims the next ``run_<N>`` and makes an id of its own.

How values are kept: metrics are history rows with the logging step in
``trainer/step`` (W&B's own step only grows, so steps logged out of order, like
per-epoch metrics after per-batch ones, are not dropped) and the timestamp in
``_timestamp``; params go to the run's config; tags to its summary as ``tags/<key>``
(W&B's own tags are labels without values); artifacts are saved as run files.

W&B keeps the run's data in a service process of its own; ``close()`` finishes the
run and ends that process (``wandb.teardown``) within ``stall_seconds``. Values count
as delivered for the tracking journal once the run is finished, so a killed script's
recovery logs them all again into a new offline run of the same id, which is then
the complete one (``location.yaml`` and the summary name it).
"""

import os
import secrets
import shlex
import shutil
import string
from collections.abc import Mapping
from typing import Any, Optional

from .base import option, tracking_options
from .handoff import VendorTracker
from .registry import register_tracker

STEP_KEY = "trainer/step"
_ID_ALPHABET = string.ascii_lowercase + string.digits


@tracking_options
class WandbOptions:
    """Options of the WANDB backend."""

    wandb_dir: str = option("directory of the runs' local files, one run_<N> each (default: runs/wandb)", "runs/wandb")
    wandb_project: str = option("W&B project (default: mlpipelines)", default="mlpipelines")
    wandb_mode: str = option(
        "auto (online when WANDB_API_KEY is set), offline or online (default: auto)", default="auto"
    )
    wandb_run_name: Optional[str] = option(
        "existing run directory to write into (default: claim the next run_<N>)", default=None
    )
    wandb_run_id: Optional[str] = option("W&B run id (default: a new one)", default=None)


def new_run_id() -> str:
    """A W&B run id as W&B makes them: eight characters of ``[a-z0-9]``."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(8))


class WandbTracker(VendorTracker):
    """Logs into a W&B run from a thread of its own (see the module doc).

    Without wandb installed, the first use reports the pip requirement once and every value is
    counted as dropped; the other backends run.

    Raises:
        TrackingError: on first use, mode online without ``WANDB_API_KEY``, or a run directory that
            does not exist.
    """

    options_class = WandbOptions
    backend = "WANDB"
    vendor_module = "wandb"
    credential_variable = "WANDB_API_KEY"

    def __init__(self, options: WandbOptions, **kwargs: Any) -> None:
        super().__init__(options, **kwargs)
        self.run_id = options.wandb_run_id or new_run_id()
        self._run: Any = None

    def _vendor_open(self, run_directory: str, run_name: str, mode: str) -> dict[str, str]:
        import wandb

        settings = wandb.Settings(
            silent=True, console="off", x_disable_stats=True, x_disable_meta=True, disable_git=True, save_code=False
        )
        try:
            run = wandb.init(
                project=self.options.wandb_project,
                id=self.run_id,
                name=run_name,
                dir=run_directory,
                mode="online" if mode == "online" else "offline",
                resume="allow" if mode == "online" else None,
                settings=settings,
                reinit="create_new",
            )
        except BaseException:
            wandb.teardown()  # the service process W&B may have started for it
            raise
        run.define_metric(STEP_KEY)
        run.define_metric("*", step_metric=STEP_KEY, step_sync=True)
        self._run = run
        files = str(run.settings.sync_dir)
        if mode == "online":
            return {"run": str(run.url), "files": files}
        return {
            "run": f"offline run {self.run_id} of project {self.options.wandb_project}",
            "files": files,
            "sync": shlex.join(["wandb", "sync", files]),
        }

    def _vendor_metrics(self, metrics: Mapping[str, float], timestamp: int, step: int) -> None:
        self._run.log({**metrics, STEP_KEY: step, "_timestamp": timestamp / 1000.0})

    def _vendor_params(self, params: dict[str, str]) -> None:
        self._run.config.update(params, allow_val_change=True)

    def _vendor_tags(self, tags: dict[str, str]) -> None:
        self._run.summary.update({f"tags/{key}": value for key, value in tags.items()})

    def _vendor_artifact(self, path: str, artifact_path: str | None) -> None:
        target_directory = os.path.join(self._run.dir, artifact_path or "")
        os.makedirs(target_directory, exist_ok=True)
        target = os.path.join(target_directory, os.path.basename(os.path.normpath(path)))
        if os.path.isdir(path):
            shutil.copytree(path, target, dirs_exist_ok=True)
            files = [os.path.join(directory, name) for directory, _, names in os.walk(target) for name in names]
        else:
            shutil.copy2(path, target)
            files = [target]
        for file in sorted(files):
            self._run.save(file, base_path=self._run.dir, policy="now")

    def _vendor_close(self, status: str) -> None:
        import wandb

        run, self._run = self._run, None
        try:
            if run is not None:
                run.finish(exit_code=0 if status == "FINISHED" else 1)
        finally:
            wandb.teardown()


register_tracker("WANDB", WandbTracker)
