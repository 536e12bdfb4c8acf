"""The tracking runtime that runs inside every generated training script.

Importing this package needs only the standard library, PyYAML and
argparse-dataclass; mlflow and tensorboard are imported by their backends on
first use. Nothing outside ``mlpipelines.tracking`` is imported, because the
package is also copied next to generated scripts.

Example::

    from mlpipelines.tracking import MultiBackendTracker, build_parser

    args = build_parser().parse_args()       # --tracking_backends STDOUT,MLFLOW ...
    with MultiBackendTracker(args) as tracker:
        tracker.log_metrics({"loss": 0.3, "acc": 0.9}, step=12)
"""

from .base import DeliveryReport, RunTracker, option, tracking_options
from .csv import CsvOptions, CsvTracker
from .errors import TrackingError
from .mlflow import MLflowOptions, MLflowTracker
from .mlflow_delivery import RetryPolicy
from .multi import MultiBackendTracker
from .parser import build_parser, parse_backend_names
from .registry import ENTRY_POINT_GROUP, register_tracker, registered_trackers, tracker_class, unregister_tracker
from .stdout import StdOutOptions, StdOutTracker
from .tensorboard import TensorBoardOptions, TensorBoardTracker

_COMMAND_MODULES = frozenset({"recover", "replay"})


def _import_built_in_backends() -> None:
    # Each backend module registers itself on import. Importing every module of this package
    # makes a new built-in backend one new module, with no list here to edit.
    import importlib
    import pkgutil

    for module in pkgutil.iter_modules(__path__):
        # The command modules (``python -m mlpipelines.tracking.replay``) register no backend; importing
        # them here would make runpy warn that the module was imported before it ran.
        if module.name not in _COMMAND_MODULES:
            importlib.import_module(f"{__name__}.{module.name}")


_import_built_in_backends()

__all__ = [
    "ENTRY_POINT_GROUP",
    "CsvOptions",
    "CsvTracker",
    "DeliveryReport",
    "MLflowOptions",
    "MLflowTracker",
    "MultiBackendTracker",
    "RetryPolicy",
    "RunTracker",
    "StdOutOptions",
    "StdOutTracker",
    "TensorBoardOptions",
    "TensorBoardTracker",
    "TrackingError",
    "build_parser",
    "option",
    "parse_backend_names",
    "register_tracker",
    "registered_trackers",
    "tracker_class",
    "tracking_options",
    "unregister_tracker",
]
