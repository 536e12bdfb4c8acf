package de.monticore.mlpipelines.sweep;

import de.monticore.mlpipelines.generator.sweep.SweepSpec;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What a sweep did, as plain data (for the printed summary and a JSON summary alike).
 *
 * @param sweepId        the {@value SweepRunner#SWEEP_TAG} tag on the parent and every trial
 * @param spec           the sweep's definition
 * @param trials         every trial, in order, started or not
 * @param best           the best finished trial's number; null when no trial finished with an objective
 * @param parentStatus   how the parent run ended: FINISHED (some trial finished), FAILED or KILLED
 * @param parentRunIds   the parent run's identity per backend option
 * @param parentRunName  the parent's MLflow run name, or null
 * @param directory      the sweep's directory (results table, plot)
 * @param resultsTable   the results table (CSV)
 * @param plot           the plot of the objective against each parameter; null when skipped
 * @param plotNote       why the plot was skipped; null when it was made
 * @param problems       tracking problems that did not stop the sweep
 * @param wallTime       from the start of the sweep (the parent run's, a local MLflow server's start-up
 *                       included) to the parent's end
 * @param trialsTime     from the first trial's start to the last trial's end
 * @param parallel       how many trials ran at once at most
 * @param interrupted    true when Ctrl-C or SIGTERM stopped the sweep
 */
public record SweepResult(String sweepId, SweepSpec spec, List<TrialResult> trials, Integer best, String parentStatus,
                          Map<String, String> parentRunIds, String parentRunName, String directory,
                          String resultsTable, String plot, String plotNote, List<String> problems, Duration wallTime,
                          Duration trialsTime, int parallel, boolean interrupted) {
    public SweepResult {
        trials = List.copyOf(trials);
        parentRunIds = Map.copyOf(parentRunIds);
        problems = List.copyOf(problems);
    }

    /**
     * The exit code of {@code mlpipelines sweep}: 0 when every trial FINISHED or was stopped early by
     * successive halving, 130 interrupted, 1 otherwise.
     */
    public int commandExitCode() {
        if (interrupted) {
            return 130;
        }
        return trials.stream().allMatch(TrialResult::completed) ? 0 : 1;
    }

    /** The best trial, or null. */
    public TrialResult bestTrial() {
        return best == null ? null : trials.get(best - 1);
    }

    /**
     * The result as plain JSON-ready data (maps, lists, strings, numbers, booleans, nulls), for a JSON
     * summary: {@code sweep}, {@code strategy}, {@code objective} ({@code metric}, {@code goal}, {@code value}),
     * {@code parent} ({@code status}, {@code run_ids}, {@code mlflow_run_name}), {@code trials} (each with
     * {@code number}, {@code values}, {@code status}, {@code objective}, {@code run}, {@code run_ids},
     * {@code script}, {@code failure_reason}, {@code best}), {@code best} (the trial's number or null),
     * {@code results}, {@code plot}, {@code plot_skipped}, {@code problems}, {@code seconds},
     * {@code trials_seconds}, {@code parallel}, {@code interrupted}, {@code exit_code}.
     */
    public Map<String, Object> asMap() {
        Map<String, Object> map = new java.util.LinkedHashMap<>();
        map.put("sweep", sweepId);
        map.put("strategy", spec.strategy().yamlName());
        Map<String, Object> objective = new java.util.LinkedHashMap<>();
        objective.put("metric", spec.objective().metric());
        objective.put("goal", spec.objective().goal().yamlName());
        objective.put("value", spec.objective().value().yamlName());
        map.put("objective", objective);
        Map<String, Object> parent = new java.util.LinkedHashMap<>();
        parent.put("status", parentStatus);
        parent.put("run_ids", new java.util.TreeMap<>(parentRunIds));
        parent.put("mlflow_run_name", parentRunName);
        map.put("parent", parent);
        List<Map<String, Object>> rows = new java.util.ArrayList<>();
        for (TrialResult trial : trials) {
            Map<String, Object> row = new java.util.LinkedHashMap<>();
            row.put("number", trial.number());
            row.put("values", new java.util.LinkedHashMap<>(trial.values()));
            row.put("status", trial.status());
            row.put("objective", trial.objective());
            row.put("run", trial.runName());
            row.put("run_ids", new java.util.TreeMap<>(trial.runIds()));
            row.put("script", trial.script());
            row.put("failure_reason", trial.failureReason());
            row.put("best", best != null && best == trial.number());
            rows.add(row);
        }
        map.put("trials", rows);
        map.put("best", best);
        map.put("results", resultsTable);
        map.put("plot", plot);
        map.put("plot_skipped", plotNote);
        map.put("problems", problems);
        map.put("seconds", wallTime.toMillis() / 1000.0);
        map.put("trials_seconds", trialsTime.toMillis() / 1000.0);
        map.put("parallel", parallel);
        map.put("interrupted", interrupted);
        map.put("exit_code", commandExitCode());
        return map;
    }
}
