package de.monticore.mlpipelines.pipeline;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.Optional;

/**
 * Finds the Python interpreter of the project's environment, which runs generated training scripts,
 * local MLflow servers, recovery and {@code replay}. In this order:
 * <ol>
 *   <li>{@code $MLPIPELINES_PYTHON}, when set;</li>
 *   <li>the system property {@code mlpipelines.python}: the Python console script sets it to its own
 *       interpreter, so that what it starts runs in the environment it was started from;</li>
 *   <li>{@code .venv/bin/python} of the source tree the running jar was built in
 *       ({@code <tree>/build/install/mlpipelines/lib/*.jar} or {@code <tree>/build/...}), found from the
 *       jar's location, never from the working directory, so every command works from any directory;</li>
 *   <li>{@code python3} from the PATH.</li>
 * </ol>
 */
public final class PythonEnvironment {
    /** The environment variable that names the interpreter explicitly. */
    public static final String PYTHON_VARIABLE = "MLPIPELINES_PYTHON";
    /** The system property the Python console script sets to its own interpreter. */
    public static final String PYTHON_PROPERTY = "mlpipelines.python";

    private PythonEnvironment() {
    }

    /** The interpreter to run, as a command (an absolute path or a name looked up on the PATH). */
    public static String interpreter() {
        String configured = System.getenv(PYTHON_VARIABLE);
        if (configured != null && !configured.isBlank()) {
            return configured;
        }
        String property = System.getProperty(PYTHON_PROPERTY);
        if (property != null && !property.isBlank()) {
            return property;
        }
        return installedEnvironment().map(Path::toString).orElse("python3");
    }

    /** {@code .venv/bin/python} in the nearest directory above the running code that has one. */
    static Optional<Path> installedEnvironment() {
        CodeSource source = PythonEnvironment.class.getProtectionDomain().getCodeSource();
        if (source == null || source.getLocation() == null) {
            return Optional.empty();
        }
        Path location;
        try {
            location = Path.of(source.getLocation().toURI()).toAbsolutePath().normalize();
        } catch (URISyntaxException | IllegalArgumentException e) {
            return Optional.empty();
        }
        // The jar is at <tree>/build/install/mlpipelines/lib/; Gradle's classes at <tree>/build/classes/java/main.
        for (Path directory = location.getParent(); directory != null; directory = directory.getParent()) {
            Path python = directory.resolve(Path.of(".venv", "bin", "python"));
            if (Files.isExecutable(python)) {
                return Optional.of(python);
            }
        }
        return Optional.empty();
    }
}
