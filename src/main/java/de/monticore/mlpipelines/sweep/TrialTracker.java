package de.monticore.mlpipelines.sweep;

import de.monticore.mlpipelines.tracking.backend.mlflow.MLflowTracker;
import de.monticore.mlpipelines.tracking.tracker.MultiBackendTracker;
import de.monticore.mlpipelines.tracking.tracker.RunStatus;
import de.monticore.mlpipelines.tracking.tracker.RunTracker;

import java.io.File;
import java.io.PrintStream;
import java.util.Map;

/**
 * One trial's view of a sweep lane's {@link MultiBackendTracker}: every call goes to the lane, whose
 * persistent tags (the sweep's), manual tags and persistent artifacts are replayed by its
 * {@code startNewRun()}; after that the trial's number is tagged, and in MLflow the run is nested under
 * the sweep's parent run ({@value #PARENT_RUN_TAG}). {@link #close()} leaves the lane open for the next
 * trial; the sweep closes it at its end.
 */
final class TrialTracker implements RunTracker {
    /** The tag MLflow nests a run under its parent with. */
    static final String PARENT_RUN_TAG = "mlflow.parentRunId";

    private final MultiBackendTracker lane;
    private final int trial;
    private final String parentRunId;
    private final PrintStream err;

    /**
     * @param lane        the lane's tracker, reused by the lane's trials one after the other
     * @param trial       the trial's number
     * @param parentRunId the parent's MLflow run id; null without MLflow
     * @param err         where a failure to nest the run is reported
     */
    TrialTracker(MultiBackendTracker lane, int trial, String parentRunId, PrintStream err) {
        this.lane = lane;
        this.trial = trial;
        this.parentRunId = parentRunId;
        this.err = err;
    }

    @Override
    public void startNewRun() {
        lane.startNewRun();
        lane.logTag(SweepRunner.TRIAL_TAG, String.valueOf(trial));
        if (parentRunId == null) {
            return;
        }
        for (RunTracker backend : lane.getTrackers().values()) {
            if (backend instanceof MLflowTracker mlflow) {
                try {
                    mlflow.logTag(PARENT_RUN_TAG, parentRunId);
                } catch (RuntimeException e) {
                    err.println("tracking: could not nest trial " + trial + " under the sweep's MLflow run "
                            + parentRunId + ": " + e.getMessage());
                }
            }
        }
    }

    /** The trial's MLflow run name ("Run N"), or null without MLflow or before the run started. */
    String mlflowRunName() {
        for (RunTracker backend : lane.getTrackers().values()) {
            if (backend instanceof MLflowTracker mlflow) {
                try {
                    return mlflow.runName();
                } catch (RuntimeException noRun) {
                    return null;
                }
            }
        }
        return null;
    }

    @Override
    public void endRun(RunStatus status) {
        lane.endRun(status);
    }

    @Override
    public void logParam(String key, String value) {
        lane.logParam(key, value);
    }

    @Override
    public void logParams(Map<String, String> params) {
        lane.logParams(params);
    }

    @Override
    public void logMetric(String key, double value, long timestampMillis, long step) {
        lane.logMetric(key, value, timestampMillis, step);
    }

    @Override
    public void logTag(String key, String value) {
        lane.logTag(key, value);
    }

    @Override
    public void logTags(Map<String, String> tags) {
        lane.logTags(tags);
    }

    @Override
    public void logArtifact(File localFile, String artifactPath) {
        lane.logArtifact(localFile, artifactPath);
    }

    @Override
    public void cleanUpRepository() {
        lane.cleanUpRepository();
    }

    @Override
    public Map<String, String> getPythonParams() {
        return lane.getPythonParams();
    }

    @Override
    public Map<String, String> getRunLocations() {
        return lane.getRunLocations();
    }

    @Override
    public Map<String, String> getRunEndStates() {
        return lane.getRunEndStates();
    }

    /** Leaves the lane open: its next trial logs into it; the sweep closes the lanes. */
    @Override
    public void close() {
    }
}
