package de.monticore.mlpipelines.tracking.tracker;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A backend for testing the fan-out: records every call as a line, and reads artifact contents at
 * the moment they are logged (staged copies are removed on close).
 */
class RecordingTracker implements RunTracker {
    final List<String> calls = new ArrayList<>();
    final Map<String, String> pythonParams;
    RuntimeException failWith;
    String failOnlyIn;

    RecordingTracker(Map<String, String> pythonParams) {
        this.pythonParams = pythonParams;
    }

    RecordingTracker() {
        this(Map.of());
    }

    private void record(String verb, String call) {
        if (failWith != null && (failOnlyIn == null || failOnlyIn.equals(verb))) {
            throw failWith;
        }
        calls.add(call);
    }

    @Override
    public void startNewRun() {
        record("startNewRun", "startNewRun");
    }

    @Override
    public void endRun(RunStatus status) {
        record("endRun", "endRun " + status);
    }

    @Override
    public void logParam(String key, String value) {
        record("logParam", "param " + key + "=" + value);
    }

    @Override
    public void logMetric(String key, double value, long timestampMillis, long step) {
        record("logMetric", "metric " + key + "=" + value + "@" + step);
    }

    @Override
    public void logTag(String key, String value) {
        record("logTag", "tag " + key + "=" + value);
    }

    @Override
    public void logArtifact(File localFile, String artifactPath) {
        String content;
        try {
            content = localFile.isDirectory()
                    ? "dir" + List.of(localFile.list()).stream().sorted().toList()
                    : Files.readString(localFile.toPath());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        record("logArtifact", "artifact " + (artifactPath == null ? "" : artifactPath + "/") + localFile.getName()
                + ": " + content);
    }

    @Override
    public void cleanUpRepository() {
        record("cleanUpRepository", "cleanUpRepository");
    }

    @Override
    public Map<String, String> getPythonParams() {
        return pythonParams;
    }

    @Override
    public void close() {
        record("close", "close");
    }
}
