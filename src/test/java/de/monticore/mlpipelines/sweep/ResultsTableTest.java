package de.monticore.mlpipelines.sweep;

import de.monticore.mlpipelines.generator.sweep.SweepSpec;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class ResultsTableTest {
    private static final List<String> KEYS = List.of("training.learning_rate");
    private static final List<TrialResult> TRIALS = List.of(
            new TrialResult(1, Map.of("training.learning_rate", "0.05"), "FINISHED", 0.5, "Run 2", Map.of(), "a", null),
            new TrialResult(2, Map.of("training.learning_rate", "0.3"), "FAILED", 0.25, "Run 3", Map.of(), "b",
                    "exit code 1: ValueError: bad \"shape\", really"),
            new TrialResult(3, Map.of("training.learning_rate", "0.1"), "FINISHED", 0.125, "Run 4", Map.of(), "c", null),
            new TrialResult(4, Map.of("training.learning_rate", "0.2"), TrialResult.NOT_STARTED, null, null, Map.of(),
                    null, null));

    @Test
    void theBestIsTheBestFinishedTrialByTheGoal() {
        SweepSpec.Objective minimize = new SweepSpec.Objective("val_loss", SweepSpec.Goal.MINIMIZE,
                SweepSpec.Aggregate.LAST);
        SweepSpec.Objective maximize = new SweepSpec.Objective("val_loss", SweepSpec.Goal.MAXIMIZE,
                SweepSpec.Aggregate.LAST);
        assertEquals(3, SweepRunner.best(TRIALS, minimize), "trial 2 is lower but FAILED");
        assertEquals(1, SweepRunner.best(TRIALS, maximize));
        assertNull(SweepRunner.best(List.of(TRIALS.get(1), TRIALS.get(3)), minimize));
    }

    @Test
    void csvQuotesWhatNeedsQuotingAndMarksTheBest() {
        assertEquals("""
                trial,training.learning_rate,val_loss,status,best,run,failure_reason
                1,0.05,0.5,FINISHED,,Run 2,
                2,0.3,0.25,FAILED,,Run 3,"exit code 1: ValueError: bad ""shape"", really"
                3,0.1,0.125,FINISHED,*,Run 4,
                4,0.2,,NOT_STARTED,,,
                """, ResultsTable.csv(TRIALS, KEYS, "val_loss", 3));
    }

    @Test
    void textAlignsTheColumnsWithTheBestMarked() {
        assertEquals(List.of(
                "  trial  training.learning_rate  val_loss  status       run",
                "  1      0.05                    0.5       FINISHED     Run 2",
                "  2      0.3                     0.25      FAILED       Run 3",
                "* 3      0.1                     0.125     FINISHED     Run 4",
                "  4      0.2                               NOT_STARTED"), ResultsTable.text(TRIALS, KEYS, "val_loss", 3));
    }

    @Test
    void theResultIsPlainDataForAJsonSummary() {
        SweepSpec spec = new SweepSpec(SweepSpec.Strategy.GRID, 4, 0, new SweepSpec.Objective("val_loss",
                SweepSpec.Goal.MINIMIZE, SweepSpec.Aggregate.LAST), List.of(new SweepSpec.Parameter(
                "training.learning_rate", List.of("0.05", "0.3", "0.1", "0.2"), null)), null);
        SweepResult result = new SweepResult("digits-sweep-1", spec, TRIALS, 3, "FINISHED", Map.of("csv_run_name",
                "run_1"), null, "out", "out/results.csv", null, "matplotlib is not installed", List.of(),
                java.time.Duration.ofMillis(1500), java.time.Duration.ofMillis(1200), 2, false);
        Map<String, Object> map = result.asMap();
        assertEquals(1, map.get("exit_code"), "trial 2 FAILED, trial 4 never started");
        assertEquals(3, map.get("best"));
        assertEquals(Map.of("metric", "val_loss", "goal", "minimize", "value", "last"), map.get("objective"));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> trials = (List<Map<String, Object>>) map.get("trials");
        assertEquals(List.of(false, false, true, false), trials.stream().map(trial -> trial.get("best")).toList());
        assertEquals(Map.of("training.learning_rate", "0.1"), trials.get(2).get("values"));
        assertEquals(0.125, trials.get(2).get("objective"));
        assertEquals(1.5, map.get("seconds"));
        assertEquals("matplotlib is not installed", map.get("plot_skipped"));
    }
}
