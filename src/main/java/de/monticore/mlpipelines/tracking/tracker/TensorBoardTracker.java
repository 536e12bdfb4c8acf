package de.monticore.mlpipelines.tracking.tracker;

import de.monticore.mlpipelines.tracking.config.TensorBoardConfig;

import java.io.File;

// PLACEHOLDER: replaced by its own work item before anything lands.
public class TensorBoardTracker implements RunTracker {
    public TensorBoardTracker(TensorBoardConfig config) {
    }

    @Override public void startNewRun() { throw new UnsupportedOperationException(); }
    @Override public void endRun(RunStatus status) { throw new UnsupportedOperationException(); }
    @Override public void logParam(String key, String value) { throw new UnsupportedOperationException(); }
    @Override public void logMetric(String key, double value, long timestampMillis, long step) { throw new UnsupportedOperationException(); }
    @Override public void logTag(String key, String value) { throw new UnsupportedOperationException(); }
    @Override public void logArtifact(File localFile, String artifactPath) { throw new UnsupportedOperationException(); }
}
