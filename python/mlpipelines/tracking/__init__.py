"""The tracking runtime that runs inside every generated training script.

Importing this package needs only the standard library, PyYAML and
argparse-dataclass; mlflow and tensorboardX are imported by their backends on
first use. Nothing outside ``mlpipelines.tracking`` is imported, because the
package is also copied next to generated scripts.

Example::

    from mlpipelines.tracking import MultiBackendTracker, build_parser

    args = build_parser().parse_args()       # --tracking_backends STDOUT,MLFLOW ...
    with MultiBackendTracker(args) as tracker:
        tracker.log_metrics({"loss": 0.3, "acc": 0.9}, step=12)
"""

from .base import ConfigKey, DeliveryReport, RunTracker, option, tracking_options
from .errors import TrackingError
from .multi import MultiBackendTracker
from .parser import build_parser
from .registry import (ENTRY_POINT_GROUP, register_tracker, registered_trackers, tracker_class,
                       unregister_tracker)
from .csv import CsvOptions, CsvTracker
from .mlflow import MLflowOptions, MLflowTracker, RetryPolicy
from .stdout import StdOutOptions, StdOutTracker
from .tensorboard import TensorBoardOptions, TensorBoardTracker



def _import_built_in_backends():
    # Each backend module registers itself on import. Importing every module of this package
    # makes a new built-in backend one new module, with no list here to edit.
    import importlib
    import pkgutil

    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")


_import_built_in_backends()

__all__ = [
    "build_parser", "MultiBackendTracker", "RunTracker", "TrackingError", "DeliveryReport", "ConfigKey",
    "register_tracker", "unregister_tracker", "registered_trackers", "tracker_class",
    "ENTRY_POINT_GROUP", "option", "tracking_options",
    "StdOutTracker", "StdOutOptions", "MLflowTracker", "MLflowOptions", "RetryPolicy",
    "CsvTracker", "CsvOptions", "TensorBoardTracker", "TensorBoardOptions",
]
