package de.monticore.mlpipelines.tracking.backend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import de.monticore.mlpipelines.pipeline.PythonEnvironment;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs a Python snippet with the project's interpreter ({@code $MLPIPELINES_PYTHON}) so tests can
 * read files back with the readers users have (csv, yaml, TensorBoard's EventAccumulator). The
 * snippet prints one JSON document on standard output.
 */
public final class PythonReader {
    private static final ObjectMapper JSON = new ObjectMapper();

    private PythonReader() {
    }

    /** Runs {@code script} with {@code sys.argv[1:] = arguments} and parses its standard output as JSON. */
    public static JsonNode runJson(String script, String... arguments) throws IOException, InterruptedException {
        return JSON.readTree(run(script, arguments));
    }

    /** Runs {@code script} and returns its standard output; fails the test on a non-zero exit. */
    public static String run(String script, String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(PythonEnvironment.interpreter(), "-c", script));
        command.addAll(List.of(arguments));
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.PIPE);
        // TensorFlow-less TensorBoard prints a notice on import; keep stdout clean.
        builder.environment().put("TF_CPP_MIN_LOG_LEVEL", "3");
        Process process = builder.start();
        process.getOutputStream().close();
        byte[] stdout = process.getInputStream().readAllBytes();
        byte[] stderr = process.getErrorStream().readAllBytes();
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "python did not finish");
        assertEquals(0, process.exitValue(), () -> "python failed:\n" + new String(stderr, StandardCharsets.UTF_8));
        return new String(stdout, StandardCharsets.UTF_8);
    }
}
