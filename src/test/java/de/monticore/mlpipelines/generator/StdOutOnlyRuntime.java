package de.monticore.mlpipelines.generator;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A small stand-in for the Python package {@code mlpipelines.tracking} with the documented API
 * ({@code build_parser}, {@code MultiBackendTracker} as a context manager, {@code log_metric(s)},
 * {@code log_params}, {@code set_tags}) and only the STDOUT backend. It prints one JSON line per call,
 * so tests read back exactly what the generated script logged. Used where the real runtime is not
 * in the tree; the end-to-end pytest runs the real one.
 */
public final class StdOutOnlyRuntime {
    /** The package's {@code __init__.py}. */
    public static final String INIT_PY = """
            \"\"\"Test stand-in for mlpipelines.tracking: the documented API, STDOUT only.\"\"\"
            import argparse
            import json
            import time


            def _backend_names(text):
                \"\"\"Like the real runtime: a tuple of upper-case names.\"\"\"
                return tuple(name.strip().upper() for name in text.split(",") if name.strip())


            def build_parser():
                parser = argparse.ArgumentParser()
                tracking = parser.add_argument_group("tracking")
                tracking.add_argument("--tracking_backends", type=_backend_names, default="STDOUT",
                                      help="comma-separated backends; this stand-in knows STDOUT")
                tracking.add_argument("--stdout_experiment_name", default="default",
                                      help="experiment name printed by the STDOUT backend")
                return parser


            def _emit(kind, payload):
                print("TRACKING " + kind + " " + json.dumps(payload, ensure_ascii=True), flush=True)


            class MultiBackendTracker:
                def __init__(self, args):
                    names = list(args.tracking_backends)
                    if names != ["STDOUT"]:
                        raise ValueError("unknown backend in %r; expected STDOUT" % args.tracking_backends)
                    _emit("open", {"experiment_name": args.stdout_experiment_name})

                def __enter__(self):
                    return self

                def __exit__(self, exc_type, exc, traceback):
                    self.close("FAILED" if exc_type else "FINISHED")
                    return False

                def log_metric(self, key, value, step=None, timestamp=None):
                    _emit("metric", {"key": key, "value": float(value), "step": step,
                                     "timestamp": timestamp or int(time.time() * 1000)})

                def log_metrics(self, metrics, step=None, timestamp=None):
                    for key, value in metrics.items():
                        self.log_metric(key, value, step=step, timestamp=timestamp)

                def log_params(self, params):
                    _emit("params", params)

                def set_tags(self, tags):
                    _emit("tags", tags)

                def log_artifact(self, path, artifact_path=None):
                    _emit("artifact", {"path": str(path), "artifact_path": artifact_path})

                def close(self, status="FINISHED"):
                    _emit("close", {"status": status})
            """;

    /** The package's {@code backend_requirements.txt}, in the real runtime's format. */
    public static final String BACKEND_REQUIREMENTS = """
            # The stand-in's requirements: only the STDOUT backend, which needs nothing beyond the runtime.
            *        pyyaml>=6.0   # stand-in for the runtime's own needs
            """;

    private StdOutOnlyRuntime() {
    }

    /** Writes the stand-in package ({@code __init__.py}, {@code backend_requirements.txt} and a helper module) into a new directory. */
    public static Path writeTo(Path directory) throws IOException {
        Path tracking = Files.createDirectories(directory.resolve("tracking"));
        Files.writeString(tracking.resolve("__init__.py"), INIT_PY, StandardCharsets.UTF_8);
        Files.writeString(tracking.resolve("backend_requirements.txt"), BACKEND_REQUIREMENTS, StandardCharsets.UTF_8);
        Path backends = Files.createDirectories(tracking.resolve("backends"));
        Files.writeString(backends.resolve("__init__.py"), "# nested file: copied too\n", StandardCharsets.UTF_8);
        return tracking;
    }

    /** The interpreter the tests run scripts with ({@code $MLPIPELINES_PYTHON}, set by the build). */
    public static String python() {
        String configured = System.getenv("MLPIPELINES_PYTHON");
        return configured == null || configured.isBlank() ? "python3" : configured;
    }
}
