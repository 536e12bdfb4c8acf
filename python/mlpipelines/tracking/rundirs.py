"""Run directories shared by the CSV and TensorBoard backends and the Java side.

Layout and rules come from the Java <-> Python contract: a run is
``<parent>/run_<N>``, N = 1 + the highest existing N, claimed with an exclusive
``mkdir`` and retried on collision (safe for concurrent processes); YAML files
beside the metrics are replaced atomically (temp file + rename).
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Mapping
from typing import Any

import yaml

from .errors import TrackingError

# Nine digits keep N an int, as in Java's RunDirectories; longer names are somebody else's and are ignored.
_RUN_NAME = re.compile(r"run_([0-9]{1,9})\Z")
# Each failed attempt means another claimant succeeded, so this bounds only pathological cases
# (Java's RunDirectories.MAX_ATTEMPTS).
MAX_CLAIM_ATTEMPTS = 10_000


def claim_run_directory(parent: str) -> str:
    """Create and return the next free ``<parent>/run_<N>`` directory.

    Raises:
        TrackingError: ``parent`` cannot be created or written, or ``MAX_CLAIM_ATTEMPTS``
            candidates in a row were claimed by others first.
    """
    try:
        os.makedirs(parent, exist_ok=True)
        for _attempt in range(MAX_CLAIM_ATTEMPTS):
            numbers = [int(m.group(1)) for m in map(_RUN_NAME.match, os.listdir(parent)) if m]
            candidate = os.path.join(parent, f"run_{max(numbers, default=0) + 1}")
            try:
                os.mkdir(candidate)
                return candidate
            except FileExistsError:
                continue  # another process claimed it first; look again
    except OSError as error:
        raise TrackingError(f"cannot create a run directory in {parent}: {error}") from error
    raise TrackingError(f"gave up claiming a run directory in {parent} after {MAX_CLAIM_ATTEMPTS} collisions")


def existing_run_directory(parent: str, run_name: str, option_name: str) -> str:
    """Return ``<parent>/<run_name>``, which the run's owner must have created.

    Raises:
        TrackingError: the name is not a plain directory name, or the directory does not exist.
    """
    if not run_name or run_name in (".", "..") or "/" in run_name or "\\" in run_name:
        raise TrackingError(f"--{option_name} {run_name!r} is not a plain directory name")
    path = os.path.join(parent, run_name)
    if not os.path.isdir(path):
        raise TrackingError(
            f"--{option_name} {run_name!r}: run directory {path} does not exist; "
            f"the run's owner creates it (omit --{option_name} to start a new run)"
        )
    return path


def write_yaml_atomically(path: str, mapping: Mapping[str, Any]) -> None:
    """Replace ``path`` with ``mapping`` as YAML (temp file in the same directory + rename)."""
    directory = os.path.dirname(path) or "."
    descriptor, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=".yaml", dir=directory)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            yaml.safe_dump(mapping, out, allow_unicode=True, sort_keys=True, default_flow_style=False)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def read_yaml_mapping(path: str) -> dict[Any, Any]:
    """Return the mapping in YAML file ``path`` ({} if it is missing or empty).

    Raises:
        TrackingError: the file is not YAML or its top level is not a mapping.
    """
    try:
        with open(path, encoding="utf-8") as source:
            content = yaml.safe_load(source)
    except FileNotFoundError:
        return {}
    except yaml.YAMLError as error:
        raise TrackingError(f"{path}: not valid YAML: {error}") from error
    if content is None:
        return {}
    if not isinstance(content, dict):
        raise TrackingError(f"{path}: expected a mapping at the top level, found {type(content).__name__}")
    return content


def merge_yaml_mapping(path: str, additions: Mapping[str, str]) -> None:
    """Read ``path``, add or replace the entries of ``additions``, write it back atomically."""
    merged = {str(k): str(v) for k, v in read_yaml_mapping(path).items()}
    merged.update(additions)
    write_yaml_atomically(path, merged)
