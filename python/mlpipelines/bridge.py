"""The Java generator, in-process, through JPype.

Everything that crosses between Python and Java lives here: finding the built jars, starting the
JVM (once per process, never shut down: JPype cannot restart it), importing the Java classes, and
translating Java exceptions into Python ones.

    >>> from mlpipelines import bridge
    >>> bridge.run_command(["check-config", "examples/tracking.yaml"])
    0

Where the jars come from: ``$MLPIPELINES_CLASSPATH`` (a path list, for a build elsewhere), else
``build/install/mlpipelines/lib/*.jar`` of the source tree this package was installed from
(``make setup`` or ``gradle installDist`` builds it), else the jars an installed wheel carries in
``mlpipelines/jars/`` (``make wheel``); ``$MLPIPELINES_EXTRA_CLASSPATH`` adds jars (backends from
outside the tree), as it does for the Java launcher. The Java side runs training scripts and servers
with ``$MLPIPELINES_PYTHON``, which defaults to this interpreter here.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

CLASSPATH_VARIABLE = "MLPIPELINES_CLASSPATH"
EXTRA_CLASSPATH_VARIABLE = "MLPIPELINES_EXTRA_CLASSPATH"
BUILD_COMMAND = "make setup (or: gradle installDist)"
# The Java system property naming this interpreter (PythonEnvironment.PYTHON_PROPERTY).
PYTHON_PROPERTY = "mlpipelines.python"
# The JVM answers short commands; JIT tiers beyond C1 only cost start-up time here.
JVM_OPTIONS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto")

# The longest a Ctrl-C'd command waits for the JVM's shutdown hooks to end the process (stopping a server
# takes up to 15 s: SIGTERM, then SIGKILL).
JVM_SHUTDOWN_SECONDS = 60.0

_start_lock = threading.Lock()


class BridgeError(RuntimeError):
    """Java or the built generator is missing, or the JVM cannot start; the message says how to fix it."""


class ConfigError(ValueError):
    """A configuration file the Java side rejected; ``file``, ``key_path`` and ``problem`` as in Java."""

    def __init__(self, message: str, file: str, key_path: str, problem: str):
        super().__init__(message)
        self.file = file
        self.key_path = key_path
        self.problem = problem


def project_root() -> Path:
    """The source tree this package lives in (python/mlpipelines/bridge.py -> the root)."""
    return Path(__file__).resolve().parents[2]


def classpath() -> list[str]:
    """The jars of the Java generator, plus the extra ones named by ``$MLPIPELINES_EXTRA_CLASSPATH``.

    Raises:
        BridgeError: when no build is found (names the command that builds it), or a named jar is missing.
    """
    configured = _path_list(CLASSPATH_VARIABLE)
    if configured:
        jars = configured
    else:
        lib = project_root() / "build" / "install" / "mlpipelines" / "lib"
        jars = sorted(str(jar) for jar in lib.glob("*.jar"))
        if not jars:
            # An installed wheel: the jars ship inside the package.
            jars = sorted(str(jar) for jar in (Path(__file__).resolve().parent / "jars").glob("*.jar"))
        if not jars:
            raise BridgeError(
                f"the Java generator is not built: no jars in {lib}; run `{BUILD_COMMAND}` in {project_root()}, "
                f"or set ${CLASSPATH_VARIABLE} to its jars"
            )
    return jars + _path_list(EXTRA_CLASSPATH_VARIABLE)


def _path_list(variable: str) -> list[str]:
    entries = [entry for entry in os.environ.get(variable, "").split(os.pathsep) if entry]
    missing = [entry for entry in entries if not Path(entry).exists()]
    if missing:
        raise BridgeError(f"${variable} names files that do not exist: {', '.join(missing)}")
    return entries


def start_jvm() -> None:
    """Starts the JVM with the generator's classpath, once per process; later calls do nothing.

    Raises:
        BridgeError: no Java runtime, no build, or the JVM refused to start.
    """
    import jpype

    with _start_lock:
        if jpype.isJVMStarted():
            return
        jars = classpath()
        # Training scripts, servers and report drawing run with the Python that runs this (it has the
        # packages), unless told otherwise; the JVM reads the environment as it is when it starts.
        os.environ.setdefault("MLPIPELINES_PYTHON", sys.executable)
        try:
            jvm_path = jpype.getDefaultJVMPath()
        except jpype.JVMNotFoundException as error:
            raise BridgeError(
                "no Java runtime found: install Java 17 (apt-get install openjdk-17-jre-headless) "
                f"or set JAVA_HOME ({error})"
            ) from None
        try:
            # interrupt=True: the JVM handles Ctrl-C and SIGTERM as the Java launcher does, running
            # its shutdown hooks (which end a run KILLED and stop the training script).
            jpype.startJVM(
                *JVM_OPTIONS,
                # What Java starts (training scripts, servers, replay) runs in this very environment,
                # whatever the working directory (PythonEnvironment reads it after $MLPIPELINES_PYTHON).
                f"-D{PYTHON_PROPERTY}={sys.executable}",
                jvmpath=jvm_path,
                classpath=jars,
                convertStrings=False,
                interrupt=True,
            )
        except OSError as error:
            raise BridgeError(f"the JVM at {jvm_path} did not start: {error}") from None


def java_class(name: str):
    """A Java class of the generator (``de.monticore.mlpipelines.…``), starting the JVM if needed."""
    start_jvm()
    import jpype

    return jpype.JClass(name)


def run_command(argv: list[str]) -> int:
    """Runs ``mlpipelines ARGV…`` with the Java command line, in-process; returns its exit code.

    Output goes to this process's standard output and error, as from the Java launcher.
    """
    import jpype

    main = java_class("de.monticore.mlpipelines.cli.Main")
    system = java_class("java.lang.System")
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        return int(main.run(list(argv), system.out, system.err))
    except jpype.JVMNotRunning:
        # Ctrl-C or SIGTERM: the JVM runs its shutdown hooks (a run ends KILLED, servers stop) and then ends
        # this process itself. Returning would end the process under the hooks, so wait for that, bounded.
        time.sleep(JVM_SHUTDOWN_SECONDS)
        return 130
    finally:
        if jpype.isJVMStarted():
            system.out.flush()
            system.err.flush()


def tracker_factory():
    """The Java ``TrackerFactory`` class."""
    return java_class("de.monticore.mlpipelines.tracking.TrackerFactory")


def load_tracking_config(path: str | os.PathLike):
    """Reads and validates a tracking.yaml with the Java loader.

    Raises:
        ConfigError: with the Java message (file, key path, what was expected).
    """
    path_class = java_class("java.nio.file.Path")
    config_error = java_class("de.monticore.mlpipelines.tracking.config.TrackingConfigException")
    try:
        return tracker_factory().loadConfig(path_class.of(str(path), []))
    except config_error as error:
        raise ConfigError(
            str(error.getMessage()), str(error.getFile()), str(error.getKeyPath()), str(error.getProblem())
        ) from None
