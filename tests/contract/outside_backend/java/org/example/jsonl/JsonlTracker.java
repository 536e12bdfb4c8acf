package org.example.jsonl;

import com.fasterxml.jackson.databind.ObjectMapper;
import de.monticore.mlpipelines.tracking.TrackingException;
import de.monticore.mlpipelines.tracking.tracker.RunStatus;
import de.monticore.mlpipelines.tracking.tracker.RunTracker;

import java.io.File;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The JSONL backend's Java half: each run is a directory {@code <dir>/run_<N>}; params, tags,
 * artifacts and the run's start and end are lines of {@code java.jsonl} in it. The Python half
 * appends metrics to {@code metrics.jsonl} in the same directory.
 */
public final class JsonlTracker implements RunTracker {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final JsonlProvider.Config config;
    private final Path dir;
    private Path runDirectory;

    /** A tracker for runs below {@code config.dir()}; nothing is written before {@link #startNewRun()}. */
    public JsonlTracker(JsonlProvider.Config config) {
        this.config = config;
        this.dir = config.dir().toAbsolutePath().normalize();
    }

    @Override
    public synchronized void startNewRun() {
        try {
            Files.createDirectories(dir);
            for (int number = 1; runDirectory == null; number++) {
                try {
                    runDirectory = Files.createDirectory(dir.resolve("run_" + number));
                } catch (FileAlreadyExistsException taken) {
                    // claimed by an earlier run: try the next number
                }
            }
        } catch (IOException e) {
            throw new TrackingException("JSONL: cannot create a run below " + dir + ": " + e.getMessage(), e);
        }
        write("run", "status", RunStatus.RUNNING.name());
    }

    @Override
    public synchronized void endRun(RunStatus status) {
        write("run", "status", status.name());
        runDirectory = null;
    }

    @Override
    public synchronized void logParam(String key, String value) {
        write("param", key, value);
    }

    @Override
    public synchronized void logMetric(String key, double value, long timestampMillis, long step) {
        write("metric", key, Double.toString(value));
    }

    @Override
    public synchronized void logTag(String key, String value) {
        write("tag", key, value);
    }

    @Override
    public synchronized void logArtifact(File localFile, String artifactPath) {
        write("artifact", artifactPath == null ? "" : artifactPath, localFile.getName());
    }

    @Override
    public synchronized Map<String, String> getPythonParams() {
        Map<String, String> params = new LinkedHashMap<>(config.pythonOptions());
        if (runDirectory != null) {
            params.put("jsonl_run_name", runDirectory.getFileName().toString());
        }
        return params;
    }

    private void write(String kind, String key, String value) {
        if (runDirectory == null) {
            throw new TrackingException("JSONL: no run is active; call startNewRun() first");
        }
        Map<String, String> line = new LinkedHashMap<>();
        line.put("kind", kind);
        line.put("key", key);
        line.put("value", value);
        try {
            Files.writeString(runDirectory.resolve("java.jsonl"), JSON.writeValueAsString(line) + "\n",
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new TrackingException("JSONL: cannot write " + runDirectory.resolve("java.jsonl") + ": "
                    + e.getMessage(), e);
        }
    }
}
