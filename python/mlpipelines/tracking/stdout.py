"""STDOUT backend: one readable line per ``log_metrics`` call on standard output."""

import sys
from collections.abc import Mapping

from .base import DeliveryReport, RunTracker, option, tracking_options
from .redaction import MASK, is_secret_key
from .registry import register_tracker


@tracking_options
class StdOutOptions:
    """Options of the STDOUT backend."""

    stdout_experiment_name: str = option("experiment name shown in the output (default: default)", default="default")


class StdOutTracker(RunTracker):
    """Prints metrics as ``[experiment] step 12: acc=0.9 loss=0.3`` (one line per call).

    A header line names the experiment before the first output. Params and tags are
    printed too; values of keys that look secret (password, token, ...) are shown as
    ``********`` (the rule of ``redaction.py``, the same as Java's). The stream is looked up
    at each call, so redirecting ``sys.stdout`` works.

    Args:
        options: a ``StdOutOptions``.
    """

    options_class = StdOutOptions

    def __init__(self, options: StdOutOptions) -> None:
        self.options = options
        self.experiment_name = options.stdout_experiment_name
        self._step_prefix = f"[{self.experiment_name}] step "
        self._header_printed = False
        self._values = 0

    def _print(self, line: str) -> None:
        stream = sys.stdout
        if not self._header_printed:
            self._header_printed = True
            stream.write(f"[{self.experiment_name}] tracking experiment {self.experiment_name!r}\n")
        stream.write(line)
        stream.flush()

    def write_metrics(self, metrics: Mapping[str, float], timestamp: int, step: int) -> None:
        pairs = " ".join([f"{key}={value:.6g}" for key, value in metrics.items()])
        self._print(f"{self._step_prefix}{step}: {pairs}\n")
        self._values += len(metrics)

    def write_metric(self, key: str, value: float, timestamp: int, step: int) -> None:
        if not self._header_printed:
            self._print("")
        stream = sys.stdout
        stream.write(f"{self._step_prefix}{step}: {key}={value:.6g}\n")
        stream.flush()
        self._values += 1

    def write_params(self, params: dict[str, str]) -> None:
        self._print(f"[{self.experiment_name}] params: {self._pairs(params)}\n")

    def write_tags(self, tags: dict[str, str]) -> None:
        self._print(f"[{self.experiment_name}] tags: {self._pairs(tags)}\n")

    def write_artifact(self, path: str, artifact_path: str | None) -> None:
        target = f" -> {artifact_path}" if artifact_path else ""
        self._print(f"[{self.experiment_name}] artifact: {path}{target}\n")

    def flush(self) -> None:
        sys.stdout.flush()

    def close(self, status: str = "FINISHED") -> None:
        sys.stdout.flush()

    def delivery_report(self) -> DeliveryReport:
        return DeliveryReport(sent=self._values)

    @staticmethod
    def _pairs(mapping: Mapping[str, object]) -> str:
        return " ".join(f"{key}={MASK if is_secret_key(key) else value}" for key, value in sorted(mapping.items()))


register_tracker("STDOUT", StdOutTracker)
