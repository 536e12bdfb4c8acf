package de.monticore.mlpipelines.sweep;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How one trial of a sweep ended.
 *
 * @param number        the trial's number, from 1
 * @param values        swept key path to the value the run logged and trained with
 * @param status        FINISHED, FAILED or KILLED as its run ended, {@value #STOPPED_EARLY} (its run KILLED)
 *                      or {@value #NOT_STARTED}
 * @param objective     the objective read from what the trial logged; null when it logged none
 * @param runName       the run's name: MLflow's "Run N", else the first backend's run name; null when not started
 * @param runIds        the run's identity per backend option ({@code mlflow_run_id}, {@code csv_run_name}, …)
 * @param script        the trial's generated script; null when not started
 * @param failureReason why the run did not finish; null when it did
 */
public record TrialResult(int number, Map<String, String> values, String status, Double objective, String runName,
                          Map<String, String> runIds, String script, String failureReason) {
    /** The status of a trial a stopped sweep never started. */
    public static final String NOT_STARTED = "NOT_STARTED";
    /** The status of a trial successive halving stopped (its run ended KILLED, with the reason). */
    public static final String STOPPED_EARLY = "STOPPED_EARLY";

    public TrialResult {
        values = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(values));
        runIds = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(runIds));
    }

    /** True when the trial's run FINISHED: only those compete for best. */
    public boolean finished() {
        return status.equals("FINISHED");
    }

    /** True when the trial did what the sweep asked: it FINISHED or was stopped early on purpose. */
    public boolean completed() {
        return finished() || status.equals(STOPPED_EARLY);
    }
}
