"""Which process of a multi-process training logs: the rank awareness of the runtime, all of it.

``torchrun`` starts one process per rank with the same argv and sets ``RANK`` and ``WORLD_SIZE``.
Every rank builds its ``MultiBackendTracker`` from the same options, naming the same runs; only
the rank that ``--tracking_rank`` names (default 0) gets backends, the others track nothing, so
each metric reaches every store once per step and one process owns the journal and the stores'
files. Outside torchrun (no ``WORLD_SIZE``, or 1) the process is rank 0 and logs.
"""

from __future__ import annotations

import os


def current_rank() -> int:
    """This process's rank in a torchrun group; 0 outside one."""
    if int(os.environ.get("WORLD_SIZE", "1") or "1") <= 1:
        return 0
    return int(os.environ.get("RANK", "0") or "0")


def logs_here(args: object) -> bool:
    """True when this process is the one that logs (``args.tracking_rank``, default 0)."""
    return current_rank() == int(getattr(args, "tracking_rank", 0) or 0)
