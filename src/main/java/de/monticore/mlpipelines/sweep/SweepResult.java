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
}
