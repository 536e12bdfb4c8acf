package de.monticore.mlpipelines.pipeline;

import de.monticore.mlpipelines.tracking.tracker.RunStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

class JournalRecoveryTest {
    @TempDir
    Path temp;

    @Test
    void withoutAJournalThereIsNothingToRecoverAndNoProcessIsStarted() {
        JournalRecovery recovery = new JournalRecovery(temp.resolve("no-python").toString(), System.out, System.err,
                Duration.ofSeconds(5));
        JournalRecovery.Outcome outcome = recovery.recover(temp.resolve("metrics.journal"), temp, List.of(), Map.of());
        assertTrue(outcome.recovered().isEmpty() && outcome.problems().isEmpty(), outcome.toString());
    }

    @Test
    void aRecoveryThatCannotStartIsAProblemNamingTheJournal() throws IOException {
        Path journal = Files.writeString(temp.resolve("metrics.journal"), "");
        JournalRecovery recovery = new JournalRecovery(temp.resolve("no-python").toString(), System.out, System.err,
                Duration.ofSeconds(5));
        JournalRecovery.Outcome outcome = recovery.recover(journal, temp, List.of(), Map.of());
        assertTrue(outcome.problems().size() == 1 && outcome.problems().get(0).contains(journal.toString()),
                outcome.toString());
    }

    @Test
    void theSummaryNamesWhatWasRecoveredPerBackend() {
        LaunchResult result = new LaunchResult(RunStatus.FAILED, 137, "killed by signal 9 (SIGKILL)", List.of("CSV",
                "MLFLOW"), Map.of(), Map.of(), List.of(), Duration.ZERO, Duration.ZERO, Duration.ZERO,
                Map.of("MLFLOW", "12 metrics recovered after the script died", "CSV", "0 metrics recovered after the "
                        + "script died"));
        List<String> summary = result.summary("digits", "digits.yaml", "train.py");
        assertTrue(summary.contains("recovered:  MLFLOW: 12 metrics recovered after the script died"),
                summary.toString());
        assertTrue(summary.indexOf("recovered:  CSV: 0 metrics recovered after the script died")
                < summary.indexOf("recovered:  MLFLOW: 12 metrics recovered after the script died"), summary.toString());
    }
}
