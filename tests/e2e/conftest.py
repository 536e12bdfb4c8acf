"""The installed Java launcher that every end-to-end test drives."""

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAUNCHER = ROOT / "build" / "install" / "mlpipelines" / "bin" / "mlpipelines"


@pytest.fixture(scope="session")
def launcher() -> Path:
    """The installed Java launcher; built with Gradle when it is missing."""
    if not LAUNCHER.exists():
        subprocess.run(["gradle", "--offline", "--quiet", "installDist"], cwd=ROOT, check=True)
    assert LAUNCHER.exists(), f"{LAUNCHER} was not built"
    return LAUNCHER
