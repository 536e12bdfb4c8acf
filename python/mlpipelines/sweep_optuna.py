"""Optuna's ask-and-tell for a Java-driven sweep: ``python sweep_optuna.py`` speaking JSON lines.

The Java sweep (strategy ``tpe``) starts this with the project's interpreter and drives it over
stdin/stdout, one JSON object per line:

* first line, the study: ``{"direction": "minimize", "seed": 1, "parameters": {"training.learning_rate":
  {"low": 0.001, "high": 0.5, "log": true, "int": false}, "training.batch_size": {"choices": ["16", "64"]}}}``;
  answered ``{"ready": true}``;
* ``{"ask": true}``: a new trial from the TPE sampler, answered ``{"number": 0, "params": {...}}``;
* ``{"tell": 0, "value": 0.31}`` for a trial that finished with an objective, ``{"tell": 0, "value": null}``
  for one that failed or was stopped without one; answered ``{"told": 0}``.

Exit code 3 (after ``{"error": ...}``) when Optuna is not installed.
"""

from __future__ import annotations

import json
import sys
from typing import Any

MISSING_LIBRARY = 3


def _reply(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def main() -> int:
    """Serves one study until stdin closes."""
    try:
        import optuna
    except ImportError:
        _reply({"error": "optuna is not installed (pip install 'mlpipelines-tracking[optuna]')"})
        return MISSING_LIBRARY
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study_line = sys.stdin.readline()
    definition = json.loads(study_line)
    distributions: dict[str, Any] = {}
    for key, parameter in definition["parameters"].items():
        if "choices" in parameter:
            distributions[key] = optuna.distributions.CategoricalDistribution(parameter["choices"])
        elif parameter["int"]:
            distributions[key] = optuna.distributions.IntDistribution(
                int(parameter["low"]), int(parameter["high"]), log=parameter["log"]
            )
        else:
            distributions[key] = optuna.distributions.FloatDistribution(
                parameter["low"], parameter["high"], log=parameter["log"]
            )
    study = optuna.create_study(
        direction=definition["direction"], sampler=optuna.samplers.TPESampler(seed=definition["seed"])
    )
    trials: dict[int, Any] = {}
    _reply({"ready": True})
    for line in sys.stdin:
        request = json.loads(line)
        if request.get("ask"):
            trial = study.ask(distributions)
            trials[trial.number] = trial
            _reply({"number": trial.number, "params": trial.params})
        else:
            number = int(request["tell"])
            value = request.get("value")
            if value is None:
                study.tell(trials.pop(number), state=optuna.trial.TrialState.FAIL)
            else:
                study.tell(trials.pop(number), float(value))
            _reply({"told": number})
    return 0


if __name__ == "__main__":
    sys.exit(main())
