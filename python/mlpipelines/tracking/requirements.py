"""The pip requirements of each backend, read from ``backend_requirements.txt`` beside this module.

The data file is the one source: a backend whose library is missing names its requirements
from it (``require_library``), a test checks ``pyproject.toml`` against it, and the Java
generator reads it out of the packed runtime without running Python.
"""

from __future__ import annotations

import functools
import importlib.util
import os

from .errors import TrackingError

REQUIREMENTS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "backend_requirements.txt")
RUNTIME = "*"


@functools.cache
def backend_requirements() -> dict[str, tuple[str, ...]]:
    """Return backend name (or ``RUNTIME``) -> its pip requirements, in file order.

    Raises:
        TrackingError: a line is not ``BACKEND requirement  # why``.
    """
    requirements: dict[str, list[str]] = {}
    with open(REQUIREMENTS_FILE, encoding="utf-8") as source:
        for number, line in enumerate(source, start=1):
            content = line.split("#", 1)[0].split()
            if not content:
                continue
            if len(content) != 2:
                raise TrackingError(
                    f"{REQUIREMENTS_FILE}:{number}: expected 'BACKEND requirement  # why', found {line.strip()!r}"
                )
            backend, requirement = content
            requirements.setdefault(backend, []).append(requirement)
    return {backend: tuple(listed) for backend, listed in requirements.items()}


def requirements_of(backend: str) -> tuple[str, ...]:
    """The pip requirements ``backend`` adds to the runtime's own; () when it needs nothing extra."""
    return backend_requirements().get(backend, ())


def require_library(backend: str, module: str) -> None:
    """Raise unless ``module`` can be imported; the message holds ``backend``'s pip requirements.

    Raises:
        TrackingError: ``module`` is not installed, e.g. ``the MLFLOW backend needs mlflow:
            pip install 'mlflow>=2.12'``.
    """
    if importlib.util.find_spec(module) is None:
        install = " ".join(f"'{requirement}'" for requirement in requirements_of(backend))
        raise TrackingError(f"the {backend} backend needs {module}: pip install {install}")
