"""STDOUT backend: a few readable lines per run on standard output, not one per step.

What is printed (the same rule for every script):

* a call that logs a metric named ``epoch`` (the convention of Lightning and Keras for
  per-epoch metrics) prints one line with that call's metrics;
* with ``--stdout_every_n_steps N`` (``stdout.every_n_steps`` in tracking.yaml), a call
  whose step is a multiple of N prints its line too; ``1`` prints every call;
* every other call is summarised: per key, the number of values, their mean and the last
  one are kept and shown on the next printed line (``train_loss mean 0.31 last 0.29 over
  47 values since step 95``), and what is still pending at ``close()`` gets a line of its own.

So a script that logs a loss per step and an ``epoch`` summary per epoch prints one line
per epoch by default. Params and tags are printed as one block each; values of keys that
look secret (password, token, ...) as ``********`` (``redaction.py``, the same rule as
Java's). The stream is looked up at each print, so redirecting ``sys.stdout`` works; it is
flushed after each printed line only, never per metric.
"""

import sys
from collections.abc import Mapping

from .base import DeliveryReport, RunTracker, option, tracking_options
from .redaction import MASK, is_secret_key
from .registry import register_tracker

EPOCH_KEY = "epoch"


@tracking_options
class StdOutOptions:
    """Options of the STDOUT backend."""

    stdout_experiment_name: str = option("experiment name shown in the output (default: default)", default="default")
    stdout_every_n_steps: int = option(
        "also print every call whose step is a multiple of N; 1 prints every call (default: 0, only calls "
        "that log an 'epoch' metric, the others summarised)",
        default=0,
    )


class _Summary:
    """Count, sum and last value of one key's summarised values."""

    __slots__ = ("count", "last", "total")

    def __init__(self) -> None:
        self.count = 0
        self.total = 0.0
        self.last = 0.0


class StdOutTracker(RunTracker):
    """Prints per-epoch (or every-N-steps) lines, summarising the values in between (see the module doc).

    Args:
        options: a ``StdOutOptions``.

    Raises:
        ValueError: ``stdout_every_n_steps`` is negative.
    """

    options_class = StdOutOptions

    def __init__(self, options: StdOutOptions) -> None:
        every = int(options.stdout_every_n_steps or 0)
        if every < 0:
            raise ValueError(f"stdout_every_n_steps is {every}; expected 0 (per epoch) or a positive number of steps")
        self.options = options
        self.experiment_name = options.stdout_experiment_name
        self.every_n_steps = every
        self._step_prefix = f"[{self.experiment_name}] step "
        self._header_printed = False
        self._values = 0
        self._pending: dict[str, _Summary] = {}
        self._pending_since: int | None = None

    def _print(self, text: str) -> None:
        stream = sys.stdout
        if not self._header_printed:
            self._header_printed = True
            stream.write(f"[{self.experiment_name}] tracking experiment {self.experiment_name!r}\n")
        stream.write(text)
        stream.flush()

    def _prints(self, step: int, has_epoch: bool) -> bool:
        every = self.every_n_steps
        return has_epoch or (every > 0 and step % every == 0)

    def _summarise(self, key: str, value: float, step: int) -> None:
        summary = self._pending.get(key)
        if summary is None:
            summary = self._pending[key] = _Summary()
        summary.count += 1
        summary.total += value
        summary.last = value
        if self._pending_since is None:
            self._pending_since = step

    def _pending_text(self) -> str:
        if not self._pending:
            return ""
        parts = []
        for key, summary in self._pending.items():
            if summary.count == 1:
                parts.append(f"{key}={summary.last:.6g}")
            else:
                mean = summary.total / summary.count
                parts.append(f"{key} mean {mean:.6g} last {summary.last:.6g} over {summary.count} values")
        text = f"{', '.join(parts)} since step {self._pending_since}"
        self._pending.clear()
        self._pending_since = None
        return text

    def _line(self, step: int, metrics: Mapping[str, float]) -> str:
        pairs = " ".join([f"{key}={value:.6g}" for key, value in metrics.items()])
        pending = self._pending_text()
        if pending:
            pairs = f"{pairs} | {pending}"
        epoch = metrics.get(EPOCH_KEY)
        if epoch is not None and epoch == int(epoch):
            return f"[{self.experiment_name}] epoch {int(epoch)} step {step}: {pairs}\n"
        return f"{self._step_prefix}{step}: {pairs}\n"

    def write_metrics(self, metrics: Mapping[str, float], timestamp: int, step: int) -> None:
        self._values += len(metrics)
        if self._prints(step, EPOCH_KEY in metrics):
            self._print(self._line(step, metrics))
            return
        for key, value in metrics.items():
            self._summarise(key, value, step)

    def write_metric(self, key: str, value: float, timestamp: int, step: int) -> None:
        self._values += 1
        every = self.every_n_steps
        if key == EPOCH_KEY or (every and step % every == 0):
            self._print(self._line(step, {key: value}))
            return
        # _summarise inlined: this is the hot path, once per metric on the training thread.
        summary = self._pending.get(key)
        if summary is None:
            self._summarise(key, value, step)
            return
        summary.count += 1
        summary.total += value
        summary.last = value

    def write_params(self, params: dict[str, str]) -> None:
        self._print(self._block("params", params))

    def write_tags(self, tags: dict[str, str]) -> None:
        self._print(self._block("tags", tags))

    def write_artifact(self, path: str, artifact_path: str | None) -> None:
        target = f" -> {artifact_path}" if artifact_path else ""
        self._print(f"[{self.experiment_name}] artifact: {path}{target}\n")

    def flush(self) -> None:
        sys.stdout.flush()

    def close(self, status: str = "FINISHED") -> None:
        """Print what is still summarised (one line), then flush."""
        pending = self._pending_text()
        if pending:
            self._print(f"[{self.experiment_name}] at close: {pending}\n")
        sys.stdout.flush()

    def delivery_report(self) -> DeliveryReport:
        return DeliveryReport(sent=self._values)

    def _block(self, kind: str, mapping: Mapping[str, object]) -> str:
        # One line for a few entries, an indented block for more: readable either way.
        pairs = [f"{key}={MASK if is_secret_key(key) else value}" for key, value in sorted(mapping.items())]
        one_line = f"[{self.experiment_name}] {kind}: {' '.join(pairs)}\n"
        if len(one_line) <= 120:
            return one_line
        return f"[{self.experiment_name}] {kind}:\n" + "".join(f"    {pair}\n" for pair in pairs)


register_tracker("STDOUT", StdOutTracker)
