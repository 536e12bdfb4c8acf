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

import argparse
import dataclasses

import argparse_dataclass

from .registry import registered_trackers, tracker_class
from .errors import TrackingError

DEFAULT_BACKENDS = "STDOUT"


def parse_backend_names(text):
    """Parse a comma-separated ``--tracking_backends`` value into a tuple of registered names.

    Names are case-insensitive; blanks around names and empty items are ignored;
    duplicates are kept once.

    Raises:
        argparse.ArgumentTypeError: an unknown name (listing the registered ones) or no name.
    """
    names = []
    for item in str(text).split(","):
        item = item.strip()
        if not item:
            continue
        try:
            tracker_class(item)
        except TrackingError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
        if item.upper() not in names:
            names.append(item.upper())
    if not names:
        raise argparse.ArgumentTypeError(
            f"no tracking backend named; expected a comma-separated list of "
            f"{', '.join(registered_trackers())}")
    return tuple(names)


def build_parser(**parser_kwargs):
    """Return an argparse parser with ``--tracking_backends`` and every backend's options.

    The caller may add its own options to it. ``parse_args()`` returns a namespace
    with one attribute per option (contract spelling, e.g. ``args.mlflow_run_id``)
    and ``args.tracking_backends`` as a tuple of upper-case names; an unknown option
    or backend name ends the program with argparse's exit status 2 and a message.

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
    defaults = {}
    for cls in trackers.values():
        options_class = cls.options_class
        backend_parser = argparse_dataclass.ArgumentParser(options_class, add_help=False)
        parents.append(backend_parser)
        defaults.update(dataclasses.asdict(options_class()))
    parser = argparse.ArgumentParser(parents=parents, **parser_kwargs)
    parser.add_argument(
        "--tracking_backends", type=parse_backend_names,
        default=DEFAULT_BACKENDS,
        help=f"comma-separated tracking backends, any case; registered: {', '.join(trackers)} "
             f"(default: {DEFAULT_BACKENDS})")
    parser.set_defaults(**defaults)
    return parser
