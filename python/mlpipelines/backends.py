"""The Python half of every registered tracking backend, for ``mlpipelines backends``.

``python -m mlpipelines.backends`` prints a JSON list: one object per backend with its name, its
Python class and its options (flag, type, default, help), in registry order. The Java command
joins it with the Java half by name.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from typing import Any

from mlpipelines.tracking import registered_trackers


def describe() -> list[dict[str, Any]]:
    """Every registered backend (built-ins and entry points): name, class and options."""
    backends = []
    for name, tracker_class in registered_trackers().items():
        options = []
        options_class = tracker_class.options_class
        for option in dataclasses.fields(options_class) if options_class is not None else ():
            default = option.default_factory() if callable(option.default_factory) else option.default
            options.append(
                {
                    "flag": f"--{option.name}",
                    "type": option.type.__name__
                    if isinstance(option.type, type)
                    else str(option.type).replace("typing.", ""),
                    "default": default,
                    "help": option.metadata.get("help", ""),
                }
            )
        backends.append(
            {
                "name": name,
                "python_class": f"{tracker_class.__module__}.{tracker_class.__qualname__}",
                "options": options,
            }
        )
    return backends


def main() -> int:
    json.dump(describe(), sys.stdout, default=str)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
