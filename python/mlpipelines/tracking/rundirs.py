"""Run directories shared by the CSV and TensorBoard backends and the Java side.

Layout and rules come from the Java <-> Python contract: a run is
``<parent>/run_<N>``, N = 1 + the highest existing N, claimed with an exclusive
``mkdir`` and retried on collision (safe for concurrent processes); YAML files
beside the metrics are replaced atomically (temp file + rename).

``params.yaml`` keeps value types (``typed_param``): a param text that Python's ``str``
of an int, float or bool gives exactly (``3``, ``0.1``, ``1e-05``, ``nan``, ``True``) is
stored as that YAML type, so ``yaml.safe_load`` gives the number back, as with
Lightning's ``hparams.yaml``; any other text (``0.10``, ``1e5``, ``true``) stays a string.
Java's ``ParamValues`` holds the same rule.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from .errors import TrackingError

# Python's default sys.int_info.default_max_str_digits: int() of a longer text fails,
# so yaml.safe_load could not read such an int back (Java's ParamValues.MAX_INT_DIGITS).
_MAX_INT_DIGITS = 4300
_CANONICAL_INT = re.compile(r"(?:0|-?[1-9][0-9]*)\Z")
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
        raise TrackingError(f"cannot create a run directory in {parent}: {describe_os_error(error)}") from error
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


def describe_os_error(error: OSError) -> str:
    """``error`` in words, naming a full disk plainly ("no space left on device: <path>")."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        what = "no space left on device" if error.errno == errno.ENOSPC else "disk quota exceeded"
        return f"{what}: {error.filename}" if error.filename else what
    return str(error)


def complete_prefix(lengths: Sequence[int], written: int) -> tuple[int, int]:
    """How many of the records with byte ``lengths`` fit whole into ``written`` bytes, and their total size."""
    count = total = 0
    for length in lengths:
        if total + length > written:
            break
        count += 1
        total += length
    return count, total


def write_yaml_atomically(path: str, mapping: Mapping[str, Any]) -> None:
    """Replace ``path`` with ``mapping`` as YAML (temp file in the same directory + rename).

    Raises:
        TrackingError: the file cannot be written (the message names ``path`` and says
            "no space left on device" when the disk is full); no temp file is left behind.
    """
    directory = os.path.dirname(path) or "."
    text = yaml.safe_dump(dict(mapping), allow_unicode=True, sort_keys=True, default_flow_style=False)
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=".yaml", dir=directory)
    except OSError as error:
        raise TrackingError(f"cannot write {path}: {describe_os_error(error)}") from error
    try:
        try:
            write_all(descriptor, text.encode("utf-8"))
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(temporary, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(error, OSError):
            raise TrackingError(f"cannot write {path}: {describe_os_error(error)}") from error
        raise


def write_all(descriptor: int, data: bytes) -> None:
    """``os.write`` until all of ``data`` is out (a regular file's write may be short, e.g. near a full disk)."""
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]


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


def typed_param(text: str) -> str | int | float | bool:
    """The value ``params.yaml`` stores for a logged param text: typed only when it round-trips.

    ``param_text(typed_param(t)) == t`` for every ``t``: an int when ``t`` is canonical
    (``0``, ``-2``; not ``+3``, ``007``, ``-0``; at most 4300 digits), a float when
    ``repr(float(t)) == t`` (``0.1``, ``1e-05``, ``-0.0``, ``nan``, ``inf``; not ``0.10``,
    ``1e5``), a bool for ``True``/``False`` (not ``true``); otherwise ``t`` itself.
    Java's ``ParamValues.typed`` is the same rule.
    """
    if text in ("True", "False"):
        return text == "True"
    if _CANONICAL_INT.match(text) and len(text.lstrip("-")) <= _MAX_INT_DIGITS:
        return int(text)
    try:
        number = float(text)
    except ValueError:
        return text
    return number if repr(number) == text else text


def param_text(value: object) -> str:
    """The text of a value read from a run directory's YAML (``None`` is ``""``), as Java's ``ParamValues.text``."""
    return "" if value is None else str(value)


def merge_yaml_mapping(path: str, additions: Mapping[str, str], *, typed: bool = False) -> None:
    """Read ``path``, add or replace the entries of ``additions``, write it back atomically.

    With ``typed`` (``params.yaml``) every value, old and new, is stored by ``typed_param``.
    """
    merged = {str(k): param_text(v) for k, v in read_yaml_mapping(path).items()}
    merged.update(additions)
    write_yaml_atomically(path, {k: typed_param(v) for k, v in merged.items()} if typed else merged)
