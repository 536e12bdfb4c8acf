package de.monticore.mlpipelines.tracking.tracker;

import java.io.File;
import java.util.Map;

/**
 * One experiment-tracking backend, as seen from the Java half: it owns the run's lifecycle and logs
 * what Java knows (params, tags, artifacts). Metrics come mostly from the Python half, which gets
 * its settings from {@link #getPythonParams()}.
 *
 * <p>Constructors have no side effects; a backend connects on first use. Methods throw
 * {@link de.monticore.mlpipelines.tracking.TrackingException} when the backend fails.
 */
public interface RunTracker extends AutoCloseable {

    /** Starts a new run; later calls log into it until {@link #endRun(RunStatus)}. */
    void startNewRun();

    /** Ends the current run with the given terminal status. */
    void endRun(RunStatus status);

    /** Logs one parameter of the current run. */
    void logParam(String key, String value);

    /** Logs several parameters; backends with a batch API override this. */
    default void logParams(Map<String, String> params) {
        params.forEach(this::logParam);
    }

    /**
     * Logs one metric value.
     *
     * @param timestampMillis milliseconds since the epoch
     * @param step            training step, {@code >= 0}
     */
    void logMetric(String key, double value, long timestampMillis, long step);

    /**
     * Logs one metric value at step 0, timestamped now: the short form of the original API.
     */
    default void logMetric(String key, double value) {
        logMetric(key, value, System.currentTimeMillis(), 0);
    }

    /**
     * Logs one metric value at a step, timestamped now.
     *
     * @param step training step, {@code >= 0}
     */
    default void logMetric(String key, double value, long step) {
        logMetric(key, value, System.currentTimeMillis(), step);
    }

    /** Sets one tag of the current run. */
    void logTag(String key, String value);

    /** Sets several tags; backends with a batch API override this. */
    default void logTags(Map<String, String> tags) {
        tags.forEach(this::logTag);
    }

    /**
     * Stores a file or a directory (recursively) with the current run.
     *
     * @param localFile    what to store; its name is kept
     * @param artifactPath directory inside the run's artifacts, relative; {@code null} for the root
     */
    void logArtifact(File localFile, String artifactPath);

    /** Deletes runs in the states the configuration names; a no-op for backends without runs to delete. */
    default void cleanUpRepository() {
    }

    /** Options for the generated Python script: keys {@code [a-z][a-z0-9_]*} with this backend's prefix. */
    default Map<String, String> getPythonParams() {
        return Map.of();
    }

    /**
     * Where a user finds the current run in this backend, label to location (a URL, a file, a
     * directory), for the summary printed at the end of a pipeline.
     */
    default Map<String, String> getRunLocations() {
        return Map.of();
    }

    /**
     * How the last run's end stands in each store this backend writes, label to state, for the
     * summary: the status the store recorded (e.g. {@code "MLflow status"} to {@code FINISHED}), or
     * that the end is pending and the exact command that completes it. Empty for backends whose
     * end cannot be pending, and before an end was requested.
     */
    default Map<String, String> getRunEndStates() {
        return Map.of();
    }

    /** Releases resources; ends a run still running as KILLED. Never throws for a closed tracker. */
    @Override
    default void close() {
    }
}
