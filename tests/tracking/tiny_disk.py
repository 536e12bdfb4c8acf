"""A tiny real tmpfs for full-disk tests (mounting needs root; CI runs as root)."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def tiny_tmpfs(mount_point: Path, size: str = "256k", inodes: int | None = None) -> Iterator[Path]:
    """Mount a tmpfs of ``size`` (and at most ``inodes`` files) at ``mount_point``; always unmount it.

    Skips the test (with the reason) when not root or when the mount fails.
    """
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs the suite as root)")
    mount_point.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (f",nr_inodes={inodes}" if inodes is not None else "")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mount_point)], capture_output=True, text=True, timeout=30
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs at {mount_point}: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        unmounted = subprocess.run(["umount", str(mount_point)], capture_output=True, text=True, timeout=30)
        if unmounted.returncode != 0:  # still busy (a process of the test holds a file): detach it anyway
            subprocess.run(["umount", "-l", str(mount_point)], capture_output=True, timeout=30, check=True)


def fill(directory: Path, leave_bytes: int = 0) -> Path:
    """Fill the file system of ``directory`` with one file until at most ``leave_bytes`` are free; return it."""
    filler = directory / "filler"
    page = b"\0" * 4096  # tmpfs hands out whole pages
    with open(filler, "wb", buffering=0) as out:
        while free_bytes(directory) >= leave_bytes + len(page):
            out.write(page)
    return filler


def free_bytes(directory: Path) -> int:
    """Bytes the caller may still write on the file system of ``directory``."""
    stats = os.statvfs(directory)
    return stats.f_bavail * stats.f_frsize
