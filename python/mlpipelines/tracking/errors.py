"""The one exception type of the tracking runtime."""


class TrackingError(RuntimeError):
    """A tracking configuration or delivery problem.

    Raised for an unknown backend name, a badly declared backend, a backend whose
    library is missing, a run directory that is not where the contract says, or a
    spool file that cannot be read. Caller bugs (a metric value that is not a
    number, a negative step) raise ``ValueError`` instead.
    """
