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
}
