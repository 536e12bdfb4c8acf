package de.monticore.mlpipelines.pipeline;

import de.monticore.mlpipelines.tracking.TrackingException;
import de.monticore.mlpipelines.tracking.tracker.RunStatus;
import de.monticore.mlpipelines.tracking.tracker.RunTracker;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link RunTracker} for launcher tests: it records every call in order, keeps the content of
 * logged files (they may be temporary), returns the Python params and locations it was given, and
 * fails on request in one method.
 */
final class RecordingTracker implements RunTracker {
    final List<String> calls = new ArrayList<>();
    final Map<String, String> params = new LinkedHashMap<>();
    final Map<String, String> tags = new LinkedHashMap<>();
    final Map<String, String> artifacts = new LinkedHashMap<>();
    RunStatus endStatus;
    private final Map<String, String> pythonParams;
    private final String failingCall;

    RecordingTracker(Map<String, String> pythonParams, String failingCall) {
        this.pythonParams = pythonParams;
        this.failingCall = failingCall;
    }

    RecordingTracker(Map<String, String> pythonParams) {
        this(pythonParams, null);
    }

    private synchronized void record(String call) {
        calls.add(call);
        if (call.equals(failingCall)) {
            throw new TrackingException("backend down during " + call);
        }
    }

    @Override
    public void startNewRun() {
        record("startNewRun");
    }

    @Override
    public void endRun(RunStatus status) {
        endStatus = status;
        record("endRun");
    }

    @Override
    public void logParam(String key, String value) {
        record("logParam");
        params.put(key, value);
    }

    @Override
    public void logParams(Map<String, String> values) {
        record("logParams");
        params.putAll(values);
    }

    @Override
    public void logMetric(String key, double value, long timestampMillis, long step) {
        record("logMetric");
    }

    @Override
    public void logTag(String key, String value) {
        record("logTag");
        tags.put(key, value);
    }

    @Override
    public void logArtifact(File localFile, String artifactPath) {
        record("logArtifact");
        try {
            artifacts.put(artifactPath + "/" + localFile.getName(),
                    Files.readString(localFile.toPath(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void cleanUpRepository() {
        record("cleanUpRepository");
    }

    @Override
    public Map<String, String> getPythonParams() {
        record("getPythonParams");
        return pythonParams;
    }

    @Override
    public Map<String, String> getRunLocations() {
        record("getRunLocations");
        return Map.of("CSV file", "runs/csv/run_1/metrics.csv");
    }

    @Override
    public void close() {
        record("close");
    }
}
