package de.monticore.mlpipelines.generator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A finished Python process of a test: exit code and output, plus the JSON lines the
 * {@link StdOutOnlyRuntime} printed.
 */
public record PythonRun(int exitCode, String stdout, String stderr) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Runs the test interpreter with the arguments in {@code directory}; fails after two minutes. */
    public static PythonRun run(Path directory, Map<String, String> environment, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(StdOutOnlyRuntime.python()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile());
        builder.environment().putAll(environment);
        Path stdout = Files.createTempFile("python-out", ".txt");
        Path stderr = Files.createTempFile("python-err", ".txt");
        try {
            Process process = builder.redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("python " + String.join(" ", args) + " did not finish within 120 s");
            }
            return new PythonRun(process.exitValue(), Files.readString(stdout, StandardCharsets.UTF_8),
                    Files.readString(stderr, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(stdout);
            Files.deleteIfExists(stderr);
        }
    }

    /** The payloads of the stand-in runtime's lines of one kind (metric, params, tags, open, close). */
    public List<JsonNode> tracked(String kind) {
        List<JsonNode> payloads = new ArrayList<>();
        String prefix = "TRACKING " + kind + " ";
        for (String line : stdout.split("\n")) {
            if (line.startsWith(prefix)) {
                try {
                    payloads.add(JSON.readTree(line.substring(prefix.length())));
                } catch (IOException e) {
                    throw new AssertionError("unreadable line " + line, e);
                }
            }
        }
        return payloads;
    }

    /** The values of one metric in the order logged. */
    public List<Double> metric(String key) {
        List<Double> values = new ArrayList<>();
        for (JsonNode metric : tracked("metric")) {
            if (metric.get("key").asText().equals(key)) {
                values.add(metric.get("value").asDouble());
            }
        }
        return values;
    }

    /** Exit code and both streams, for assertion messages. */
    public String describe() {
        return "exit " + exitCode + "\n--- stdout\n" + stdout + "\n--- stderr\n" + stderr;
    }
}
