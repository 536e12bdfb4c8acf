"""``build_parser()``: one argparse parser for every registered backend's options.

Each backend declares its options as a dataclass; argparse-dataclass turns one
dataclass into one parser (``argparse_dataclass.ArgumentParser(options_class)``),
but its public API has no way to put several dataclasses into one parser. The
glue here is small: every backend's argparse-dataclass parser becomes a
``parents=`` entry of one plain ``argparse.ArgumentParser`` (argparse copies the
parents' options), and the dataclass defaults are set on the composed parser,
because argparse-dataclass leaves ``dataclasses.MISSING`` as the default and
fills the real ones in only when it builds its own dataclass.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Iterable
from typing import Any

import argparse_dataclass

from .errors import TrackingError
from .registry import registered_trackers, tracker_class

DEFAULT_BACKENDS = "STDOUT"


def parse_backend_names(names: str | Iterable[object] | None) -> tuple[str, ...]:
    """Return the registered backend names in ``names``, upper-case, each once, in order.

    Args:
        names: a comma-separated string (``"stdout, MLflow"``) or an iterable of names, any case;
            blanks around names and empty items are ignored. ``None`` means ``DEFAULT_BACKENDS``.
            No name at all (``""``, ``()``) means tracking is off and gives ``()``.

    Raises:
        TrackingError: an unknown name; the message lists the registered ones.
    """
    if names is None:
        names = DEFAULT_BACKENDS
    items = names.split(",") if isinstance(names, str) else names
    parsed: list[str] = []
    for item in items:
        written = str(item).strip()
        if not written:
            continue
        tracker_class(written)  # raises TrackingError naming it as written and listing the registered names
        name = written.upper()
        if name not in parsed:
            parsed.append(name)
    return tuple(parsed)


def _backend_names_argument(text: str) -> tuple[str, ...]:
    try:
        return parse_backend_names(text)
    except TrackingError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def build_parser(**parser_kwargs: Any) -> argparse.ArgumentParser:
    """Return an argparse parser with ``--tracking_backends`` and every backend's options.

    The caller may add its own options to it. ``parse_args()`` returns a namespace
    with one attribute per option (contract spelling, e.g. ``args.mlflow_run_id``)
    and ``args.tracking_backends`` as a tuple of upper-case names (empty when
    ``--tracking_backends=`` turns tracking off); an unknown option or backend name
    ends the program with argparse's exit status 2 and a message.

    Args:
        parser_kwargs: passed to ``argparse.ArgumentParser`` (``prog``, ``description``,
            ...).

    Example::

        parser = build_parser(description="train digits")
        parser.add_argument("--epochs", type=int, default=10)
        args = parser.parse_args()
        with MultiBackendTracker(args) as tracker:
            ...
    """
    trackers = registered_trackers()
    parents = []
    defaults: dict[str, Any] = {}
    for cls in trackers.values():
        options_class = cls.options_class
        if options_class is None:
            continue  # declares no options; its constructor reads the whole namespace
        parents.append(argparse_dataclass.ArgumentParser(options_class, add_help=False))
        defaults.update(dataclasses.asdict(options_class()))
    # No abbreviations: ``--epoch 3`` must be an error, not quietly ``--epochs 3`` (or another option).
    parser_kwargs.setdefault("allow_abbrev", False)
    parser = argparse.ArgumentParser(parents=parents, **parser_kwargs)
    parser.add_argument(
        "--tracking_backends",
        type=_backend_names_argument,
        default=DEFAULT_BACKENDS,
        help=f"comma-separated tracking backends, any case, empty for none; registered: {', '.join(trackers)} "
        f"(default: {DEFAULT_BACKENDS})",
    )
    parser.add_argument(
        "--tracking_journal",
        default=None,
        metavar="PATH",
        help="append every metric to this journal file first, so that python -m mlpipelines.tracking.recover "
        "can deliver what a killed script had logged (default: no journal)",
    )
    parser.add_argument(
        "--tracking_rank",
        type=int,
        default=0,
        metavar="RANK",
        help="under torchrun, the rank whose process logs; the other ranks track nothing (default: 0)",
    )
    parser.set_defaults(**defaults)
    return parser
