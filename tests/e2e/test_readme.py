"""Every command listed in readme_commands.txt is shown in README.md and works as shown.

The commands run in order, through bash, in a fresh directory holding a copy of examples/ and links to
this checkout's build/install and .venv (so that what they write lands there, not in the checkout);
`gradle run` runs in the checkout itself, as the README says. Each must exit 0.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LISTED = [
    line
    for line in (Path(__file__).with_name("readme_commands.txt")).read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
]


def test_every_listed_command_is_in_the_readme_as_written():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [command for command in LISTED if command not in readme]
    assert missing == [], f"README.md does not show: {missing}"


def test_the_readme_commands_work_as_shown(launcher, tmp_path):
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "install").symlink_to(ROOT / "build" / "install")
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("MLPIPELINES_", "MLFLOW_"))}
    env["MLPIPELINES_MLFLOW_SERVER_IDLE_TIMEOUT"] = "0"  # a test leaves no server running
    for command in LISTED:
        where = ROOT if command.startswith("gradle ") else tmp_path
        result = subprocess.run(
            [
                "bash",
                "-c",
                command if where == tmp_path else command.replace("gradle ", "gradle --offline -q --no-daemon ", 1),
            ],
            cwd=where,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, f"{command}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    assert (tmp_path / "build" / "generated" / "digits" / "train.py").is_file()
    assert (tmp_path / "report.html").read_text(encoding="utf-8").count("<svg") >= 5
