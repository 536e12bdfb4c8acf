package de.monticore.mlpipelines.pipeline;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds the Python interpreter of the project's environment, which runs generated training
 * scripts and local MLflow servers: {@code $MLPIPELINES_PYTHON}, else {@code .venv/bin/python} in
 * the working directory, else {@code python3} from the PATH.
 */
public final class PythonEnvironment {
    /** The environment variable that names the interpreter explicitly. */
    public static final String PYTHON_VARIABLE = "MLPIPELINES_PYTHON";

    private PythonEnvironment() {
    }

    /** The interpreter to run, as a command (an absolute path or a name looked up on the PATH). */
    public static String interpreter() {
        String configured = System.getenv(PYTHON_VARIABLE);
        if (configured != null && !configured.isBlank()) {
            return configured;
        }
        Path venv = Path.of(".venv", "bin", "python").toAbsolutePath();
        return Files.isExecutable(venv) ? venv.toString() : "python3";
    }
}
