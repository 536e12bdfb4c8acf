package de.monticore.mlpipelines.tracking.tracker;

/** Lifecycle state of a run, with the names MLflow uses. */
public enum RunStatus {
    RUNNING, SCHEDULED, FINISHED, FAILED, KILLED;

    /** True for the states a run ends in. */
    public boolean isTerminal() {
        return this == FINISHED || this == FAILED || this == KILLED;
    }
}
