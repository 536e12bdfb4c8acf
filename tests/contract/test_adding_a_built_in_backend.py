"""Adding a built-in backend needs no test edit: the contract tests take it from the registries.

A copy of the source tree (the files git knows, as they are in the working tree) gets a throwaway
THROWAWAY backend exactly as the README's "Adding a backend" says: a Java tracker and config record
in ``tracking/backend/throwaway/``, one ``TrackingBackend`` constant and one Python module. The copy
is built with Gradle, and its own contract tests run against that build (its jars through
``MLPIPELINES_CLASSPATH``, its ``python/`` on ``PYTHONPATH``): they pass, and THROWAWAY is a case of
every per-backend test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from contract_checks import assert_every_per_backend_test_covers, run_contract_tests

ROOT = Path(__file__).resolve().parents[2]
JAVA_BACKENDS = Path("src/main/java/de/monticore/mlpipelines/tracking")

THROWAWAY_CONFIG = """\
package de.monticore.mlpipelines.tracking.backend.throwaway;

import de.monticore.mlpipelines.tracking.config.BackendConfig;
import de.monticore.mlpipelines.tracking.config.ConfigSection;
import de.monticore.mlpipelines.tracking.config.PathSetting;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/** {@code backends.throwaway}: a directory, passed on to the Python half. */
public record ThrowawayConfig(Path dir) implements BackendConfig {
    public static final Set<String> KEYS = Set.of("dir");

    public static ThrowawayConfig fromSection(ConfigSection section) {
        return new ThrowawayConfig(PathSetting.parse(section, "dir", "runs/throwaway"));
    }

    @Override
    public Map<String, String> settings() {
        return Map.of("dir", dir.toString());
    }

    @Override
    public Map<String, String> pythonOptions() {
        return Map.of("throwaway_dir", dir.toAbsolutePath().normalize().toString());
    }
}
"""

THROWAWAY_TRACKER = """\
package de.monticore.mlpipelines.tracking.backend.throwaway;

import de.monticore.mlpipelines.tracking.tracker.RunStatus;
import de.monticore.mlpipelines.tracking.tracker.RunTracker;
import java.io.File;
import java.util.LinkedHashMap;
import java.util.Map;

/** Counts its runs and keeps nothing else; the Python half gets the run's number. */
public final class ThrowawayTracker implements RunTracker {
    private final ThrowawayConfig config;
    private int runs;

    public ThrowawayTracker(ThrowawayConfig config) {
        this.config = config;
    }

    @Override
    public void startNewRun() {
        runs++;
    }

    @Override
    public void endRun(RunStatus status) {
    }

    @Override
    public void logParam(String key, String value) {
    }

    @Override
    public void logMetric(String key, double value, long timestampMillis, long step) {
    }

    @Override
    public void logTag(String key, String value) {
    }

    @Override
    public void logArtifact(File localFile, String artifactPath) {
    }

    @Override
    public Map<String, String> getPythonParams() {
        Map<String, String> params = new LinkedHashMap<>(config.pythonOptions());
        if (runs > 0) {
            params.put("throwaway_run_number", String.valueOf(runs));
        }
        return params;
    }
}
"""

THROWAWAY_CONSTANT = (
    "THROWAWAY(ThrowawayTracker.class, ThrowawayConfig.KEYS, ThrowawayConfig::fromSection, ThrowawayTracker::new)"
)

THROWAWAY_MODULE = '''\
"""THROWAWAY: a built-in backend added by tests/contract/test_adding_a_built_in_backend.py."""

from typing import Any, Optional

from .base import RunTracker, option, tracking_options
from .registry import register_tracker


@tracking_options
class ThrowawayOptions:
    """Options of the THROWAWAY backend."""

    throwaway_dir: str = option("a directory", default="runs/throwaway")
    throwaway_run_number: Optional[str] = option("the Java run's number", default=None)  # noqa: UP045


class ThrowawayTracker(RunTracker):
    """Keeps the metrics it is given in memory."""

    options_class = ThrowawayOptions

    def __init__(self, options: ThrowawayOptions) -> None:
        self.options = options
        self.metrics: list[Any] = []

    def write_metrics(self, metrics: Any, timestamp: int, step: int) -> None:
        self.metrics.append((dict(metrics), timestamp, step))


register_tracker("THROWAWAY", ThrowawayTracker)
'''


def copy_source_tree(destination: Path) -> None:
    """The files git tracks or would track (not ignored ones such as build/ and .venv), as they are now."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=60,
    ).stdout.decode()
    for relative in filter(None, listed.split("\0")):
        source = ROOT / relative
        if source.is_file():  # a file deleted in the working tree is still listed until staged
            target = destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def add_throwaway_backend(tree: Path) -> None:
    """The README's three steps: a backend package, one enum constant, one Python module."""
    package = tree / JAVA_BACKENDS / "backend" / "throwaway"
    package.mkdir(parents=True)
    (package / "ThrowawayConfig.java").write_text(THROWAWAY_CONFIG, encoding="utf-8")
    (package / "ThrowawayTracker.java").write_text(THROWAWAY_TRACKER, encoding="utf-8")

    enum = tree / JAVA_BACKENDS / "TrackingBackend.java"
    source = enum.read_text(encoding="utf-8")
    body = source.index("public enum TrackingBackend {")
    end_of_constants = source.index(";", body)
    source = f"{source[:end_of_constants]},\n    {THROWAWAY_CONSTANT}{source[end_of_constants:]}"
    imports = "".join(
        f"import de.monticore.mlpipelines.tracking.backend.throwaway.{name};\n"
        for name in ("ThrowawayConfig", "ThrowawayTracker")
    )
    source = re.sub(r"^(package [\w.]+;\n)", lambda match: match.group(1) + "\n" + imports, source, count=1)
    enum.write_text(source, encoding="utf-8")

    (tree / "python" / "mlpipelines" / "tracking" / "throwaway.py").write_text(THROWAWAY_MODULE, encoding="utf-8")


@pytest.mark.slow
def test_a_new_built_in_backend_is_a_contract_case_without_a_test_edit(tmp_path):
    tree = tmp_path / "tree"
    copy_source_tree(tree)
    add_throwaway_backend(tree)

    build = subprocess.run(
        ["gradle", "--offline", "--quiet", "--no-daemon", "installDist"],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    jars = sorted(str(jar) for jar in (tree / "build" / "install" / "mlpipelines" / "lib").glob("*.jar"))
    assert jars, "the copy's build produced no jars"

    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("MLFLOW_") and key != "MLPIPELINES_EXTRA_CLASSPATH"
    }
    env.update(
        {
            "PYTHONPATH": str(tree / "python"),
            "MLPIPELINES_CLASSPATH": os.pathsep.join(jars),
            "MLPIPELINES_PYTHON": sys.executable,
        }
    )
    outcomes = run_contract_tests(tree, env, tmp_path / "basetemp")
    assert_every_per_backend_test_covers(outcomes, "THROWAWAY", like="CSV")
