"""A new built-in backend is one new module in mlpipelines/tracking: nothing else to edit."""

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import mlpipelines.tracking

NEW_BACKEND = textwrap.dedent("""
    from .base import RunTracker, option, tracking_options
    from .registry import register_tracker


    @tracking_options
    class NotesOptions:
        notes_file: str = option("where the notes go", default="notes.txt")


    class NotesTracker(RunTracker):
        options_class = NotesOptions

        def __init__(self, options):
            self.options = options

        def write_metrics(self, metrics, timestamp, step):
            pass


    register_tracker("NOTES", NotesTracker)
""")


def test_a_module_dropped_into_the_package_registers_its_backend(tmp_path):
    package = Path(mlpipelines.tracking.__file__).parent
    copy = tmp_path / "mlpipelines" / "tracking"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy.parent / "__init__.py").write_text("")
    (copy / "notes.py").write_text(NEW_BACKEND)
    probe = (
        "from mlpipelines.tracking import build_parser, registered_trackers\n"
        "print(sorted(registered_trackers()))\n"
        "print(build_parser().parse_args(['--notes_file', 'a b.txt']).notes_file)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    built_ins = [
        name
        for name, cls in mlpipelines.tracking.registered_trackers().items()
        if cls.__module__.startswith("mlpipelines.tracking.")
    ]
    assert result.stdout.splitlines() == [str(sorted([*built_ins, "NOTES"])), "a b.txt"]
