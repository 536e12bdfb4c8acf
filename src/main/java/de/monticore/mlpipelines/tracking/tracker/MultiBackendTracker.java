package de.monticore.mlpipelines.tracking.tracker;

import java.io.File;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

// WORK IN PROGRESS: completed in the tracking-core work item.
public class MultiBackendTracker implements RunTracker {
    private final Map<String, RunTracker> trackers;

    public MultiBackendTracker(Map<String, RunTracker> trackers, List<Pattern> paramBlacklist,
                               Map<String, String> manualTags, PrintStream errors) {
        this.trackers = new LinkedHashMap<>(trackers);
    }

    @Override public void startNewRun() { trackers.values().forEach(RunTracker::startNewRun); }
    @Override public void endRun(RunStatus status) { trackers.values().forEach(t -> t.endRun(status)); }
    @Override public void logParam(String key, String value) { trackers.values().forEach(t -> t.logParam(key, value)); }
    @Override public void logMetric(String key, double value, long timestampMillis, long step) { trackers.values().forEach(t -> t.logMetric(key, value, timestampMillis, step)); }
    @Override public void logTag(String key, String value) { trackers.values().forEach(t -> t.logTag(key, value)); }
    @Override public void logArtifact(File localFile, String artifactPath) { trackers.values().forEach(t -> t.logArtifact(localFile, artifactPath)); }
}
